"""The benchmark suite: accuracy, throughput, rooms kept in real time, latency and memory, in one report.

``run_suite(out, quick=..., sections=..., hook=...)`` writes ``results.json``,
``results.md`` and PNG plots under ``out``; ``python -m benchmarks.suite`` runs it.
"""

from benchmarks.suite.context import SuitePlan
from benchmarks.suite.report import Section, Table, markdown
from benchmarks.suite.run import ALL, SuiteResult, command_line, run_suite

__all__ = ["ALL", "Section", "SuitePlan", "SuiteResult", "Table", "command_line", "markdown", "run_suite"]
