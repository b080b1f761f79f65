"""``python -m benchmarks.digital_human``: generate (cached) clips, run, write benchmarks/results/digital_human.*"""

import argparse

from benchmarks.digital_human.run import ALL_FRAMINGS, main

parser = argparse.ArgumentParser(prog="python -m benchmarks.digital_human")
parser.add_argument("--framings", default="all", help=f"'all' or a comma list of: {', '.join(ALL_FRAMINGS)}")
parser.add_argument("--seeds", default="0,1", help="comma list of scenario seeds")
args = parser.parse_args()
framings = ALL_FRAMINGS if args.framings == "all" else tuple(args.framings.split(","))
main(seeds=tuple(int(s) for s in args.seeds.split(",")), framings=framings)
