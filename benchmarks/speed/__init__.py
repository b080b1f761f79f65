"""Speed benchmarks: the scan against plain faster-whisper on the same media, in one run."""
