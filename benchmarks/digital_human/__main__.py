"""``python -m benchmarks.digital_human``: generate (cached) clips, run, write benchmarks/results/digital_human.*"""

from benchmarks.digital_human.run import main

main()
