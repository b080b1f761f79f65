"""Models livemon trains or ships itself (see README.md)."""
