"""Datasets, their generators and the runners that measure livemon's accuracy, speed and cost."""

from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
"""Where benchmark runs write the figures the README quotes (JSON and Markdown)."""
