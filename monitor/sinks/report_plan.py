"""How a long run's findings are spread over pages, and the index's counts of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from monitor.findings import Finding

__all__ = ["Group", "Page", "by_category", "by_hour", "plan_pages"]


@dataclass(frozen=True, slots=True)
class Page:
    """Up to a page's worth of findings, in stream-time order."""

    number: int
    findings: tuple[int, ...]
    """Indices into the run's findings."""
    start: float
    end: float
    block: int
    """How many of them are ``block`` risk."""

    @property
    def name(self) -> str:
        return f"findings-{self.number:03d}.html"


@dataclass(slots=True)
class Group:
    """The findings of one category or one hour: counts by risk and the pages that hold them."""

    key: str
    count: int = 0
    risks: dict[str, int] = field(default_factory=lambda: {"block": 0, "review": 0, "pass": 0})
    pages: list[Page] = field(default_factory=list)

    @property
    def runs(self) -> list[tuple[Page, Page]]:
        """The pages as runs of consecutive numbers (first, last), so a category on every page is one run."""
        runs: list[tuple[Page, Page]] = []
        for page in self.pages:
            if runs and runs[-1][1].number + 1 == page.number:
                runs[-1] = (runs[-1][0], page)
            else:
                runs.append((page, page))
        return runs

    def add(self, finding: Finding, page: Page) -> None:
        self.count += 1
        self.risks[finding.risk] += 1
        if not self.pages or self.pages[-1] is not page:
            self.pages.append(page)


def plan_pages(findings: Sequence[Finding], page_size: int) -> list[Page]:
    """The findings by start time (ties in their given order), ``page_size`` to a page."""
    if page_size < 1:
        raise ValueError(f"a report page holds at least one finding, got {page_size}")
    order = sorted(range(len(findings)), key=lambda i: findings[i].start)
    pages = []
    for number, first in enumerate(range(0, len(order), page_size), start=1):
        chunk = tuple(order[first:first + page_size])
        pages.append(Page(
            number, chunk, findings[chunk[0]].start, max(findings[i].end for i in chunk),
            sum(findings[i].risk == "block" for i in chunk),
        ))
    return pages


def _groups(findings: Sequence[Finding], pages: Sequence[Page], key_of: dict[int, str]) -> list[Group]:
    groups: dict[str, Group] = {}
    for page in pages:
        for i in page.findings:
            key = key_of[i]
            groups.setdefault(key, Group(key)).add(findings[i], page)
    return list(groups.values())


def by_category(findings: Sequence[Finding], pages: Sequence[Page]) -> list[Group]:
    """One group per category seen, by category id."""
    groups = _groups(findings, pages, {i: f.category for i, f in enumerate(findings)})
    return sorted(groups, key=lambda g: g.key)


def by_hour(findings: Sequence[Finding], pages: Sequence[Page]) -> list[Group]:
    """One group per hour of stream time that has findings, keyed ``"00:00–01:00"``..., in order."""
    hours = {i: int(f.start // 3600) for i, f in enumerate(findings)}
    return _groups(findings, pages, {i: f"{h:02d}:00–{h + 1:02d}:00" for i, h in hours.items()})
