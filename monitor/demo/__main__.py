"""``python -m monitor.demo --demo --out DIR``: write generated test media and say where."""

from __future__ import annotations

import argparse
import shutil
import time
from dataclasses import astuple
from pathlib import Path

from monitor.demo.bad_inputs import build_bad_inputs
from monitor.demo.build import render_stream
from monitor.demo.cache import demo_stream
from monitor.demo.render import VideoOptions
from monitor.demo.script import Script


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m monitor.demo", description=__doc__)
    parser.add_argument("--demo", action="store_true", help="the default demo room (cached)")
    parser.add_argument("--script", type=Path, help="a YAML stream script to render instead")
    parser.add_argument("--bad-inputs", action="store_true", help="also write the bad-input fixtures")
    parser.add_argument("--out", type=Path, default=Path("."), help="output folder (default: .)")
    parser.add_argument("--size", default="640x360", help="WIDTHxHEIGHT for --script (default 640x360)")
    parser.add_argument("--fps", type=int, default=15, help="frame rate for --script (default 15)")
    args = parser.parse_args(argv)
    if not (args.demo or args.script or args.bad_inputs):
        parser.error("give --demo, --script FILE or --bad-inputs")
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if args.demo:
        for src in demo_stream():
            print(shutil.copy(src, args.out / src.name))
    if args.script:
        width, height = (int(v) for v in args.size.lower().split("x"))
        stream = render_stream(
            Script.from_yaml(args.script),
            args.out / f"{args.script.stem}.mp4",
            options=VideoOptions(width, height, args.fps),
        )
        print(stream.path, stream.truth, sep="\n")
    if args.bad_inputs:
        fixtures = build_bad_inputs(args.out / "bad_inputs")
        print(*astuple(fixtures), sep="\n")
    print(f"done in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
