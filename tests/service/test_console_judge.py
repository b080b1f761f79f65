"""The case page shows the LLM judge's second opinion on a finding, escaped; a malformed one is not shown."""

from __future__ import annotations

from tests.service.console_helpers import login
from tests.service.queue_helpers import Service, finding

HOSTILE = "</p><script>alert(1)</script>"


def test_the_case_page_shows_the_judges_rationale_escaped(service: Service) -> None:
    opinion = {"verdict": "violation", "category": "price_fraud", "rationale": f"虚构原价，违反第十九条。{HOSTILE}",
               "confidence": 0.85, "model": "qwen2.5-coder-1.5b-instruct", "prompt_version": "2026.12.1+abc",
               "risk_before": "review"}
    judged = finding("f1", evidence={"snapshot": None, "context": "…", "signals": {}, "judge": opinion})
    broken = finding("f2", start=20.0, evidence={"snapshot": None, "context": "…", "judge": {"verdict": "<b>x</b>"}})
    answer = service.post("ingest", "/api/v1/findings", [judged, broken])
    assert answer.status_code == 200, answer.text
    page = login(service.client.app, "ana").get("/console/cases/1").text
    assert "二审意见" in page and "构成违规" in page and "qwen2.5-coder-1.5b-instruct" in page
    assert "虚构原价，违反第十九条。&lt;/p&gt;&lt;script&gt;" in page and "<script>alert(1)" not in page
    assert "待审 → 拦截" in page
    assert page.count('class="judge"') == 1, "an opinion that is not one is not shown"
