"""Print the corpus counts table: ``python -m benchmarks.claims.stats [--markdown]``."""

from __future__ import annotations

import argparse
import sys

from benchmarks.claims.corpus import SPLITS, count_table, load_corpus


def render(table: dict[str, dict[str, int]], *, markdown: bool = False) -> str:
    cols = [*SPLITS, "total"]
    if markdown:
        lines = ["| row | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
        lines += [f"| {row} | " + " | ".join(str(c[k]) for k in cols) + " |" for row, c in table.items()]
        return "\n".join(lines)
    width = max(len(r) for r in table) + 2
    lines = [f"{'':{width}}" + "".join(f"{k:>8}" for k in cols)]
    lines += [f"{row:{width}}" + "".join(f"{c[k]:>8}" for k in cols) for row, c in table.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    print(render(count_table(load_corpus()), markdown=args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
