"""Cost of speaker turns on a scan: the same recording scanned with ``speaker_turns`` on and off, alternately.

    python -m benchmarks.speaker_turns.cost [MEDIA] [--repeats 2]

Prints, per run, the wall seconds of each scan, the speaker-turn stage's own seconds, the turns and
overlaps found, and whether the findings differ; then the ratio of median wall times (on / off).
Without MEDIA the generated demo room is used. Figures taken on a loaded machine are indicative.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from monitor.config import load_options
from monitor.pipeline.engines import build_engines
from monitor.pipeline.scan import scan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("media", nargs="?", type=Path)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    if args.media is None:
        from monitor.demo.cache import demo_stream

        args.media, _ = demo_stream()
    on, off = load_options(), load_options(speaker_turns=False)
    engines = {True: build_engines(on), False: build_engines(off)}
    walls: dict[bool, list[float]] = {True: [], False: []}
    found: dict[bool, list[tuple[object, ...]]] = {}
    for _ in range(args.repeats):
        for turns_on in (False, True):
            result = scan(str(args.media), on if turns_on else off, engines[turns_on])
            walls[turns_on].append(result.stats["wall_seconds"])
            found[turns_on] = [(f.category, f.source, f.start, f.end, f.text) for f in result.findings]
            speech = result.record.head.speech if result.record is not None else None
            turns = speech.turns if speech is not None else None
            print(
                f"turns {'on ' if turns_on else 'off'}: wall {result.stats['wall_seconds']:.1f} s, "
                f"turn stage {result.stats.get('turns_seconds', 0.0):.1f} s, "
                f"stream {result.stats['stream_seconds']:.1f} s"
                + (f", {len(turns.turns)} turns of {turns.speakers} voices, {len(turns.overlaps)} overlaps"
                   if turns is not None else "")
            )
    ratio = statistics.median(walls[True]) / statistics.median(walls[False])
    print(f"wall on / off (medians): {ratio:.3f}; findings the same: {found[True] == found[False]}")
    for row in sorted(set(found[True]) ^ set(found[False]), key=lambda r: float(str(r[2]))):
        print("  only", "on " if row in found[True] else "off", row)


if __name__ == "__main__":
    main()
