"""``python -m benchmarks.suite --out benchmarks/results/suite [--quick] [--sections rooms,latency]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.suite.run import ALL, run_suite


def _progress(stage: str, completed: float, total: float | None = None) -> None:
    print(f"  [{stage}] {completed:g}/{total:g}" if total else f"  [{stage}] {completed:g}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="livemon benchmark suite")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/suite"))
    parser.add_argument("--quick", action="store_true", help="small runs (about two minutes), for tests")
    parser.add_argument("--sections", default=",".join(ALL), help=f"comma-separated subset of {','.join(ALL)}")
    args = parser.parse_args(argv)
    result = run_suite(args.out, quick=args.quick, sections=args.sections.split(","), hook=_progress)
    print((args.out / "results.md").read_text(encoding="utf-8"))
    print("wrote " + ", ".join(str(f) for f in result.files))
    return 1 if any(s.status == "failed" for s in result.sections) else 0


if __name__ == "__main__":
    sys.exit(main())
