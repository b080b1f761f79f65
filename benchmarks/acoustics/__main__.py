"""``python -m benchmarks.acoustics``: the room-conditions table (:mod:`benchmarks.acoustics.table`)."""

from benchmarks.acoustics.table import main

if __name__ == "__main__":
    main()
