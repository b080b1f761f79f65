"""The rooms page in a real browser (Debian's Chromium driven by Playwright): a lead adds a room, sees the worker
that leased it with its last heartbeat, and removes it; a refused address is explained; no console error or CSP
violation on the way. The app runs under uvicorn on 127.0.0.1 over a SQLite store."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from monitor.service import ServiceOptions, create_app
from monitor.service.auth import add_user, create_token
from monitor.store import Store
from tests.service.console_helpers import PASSWORD
from tests.service.live import serving

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (./setup.sh does)")
sync_api = pytest.importorskip("playwright.sync_api")


def test_a_lead_adds_sees_the_worker_of_and_removes_a_room_in_chromium(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    now = datetime.now(UTC)
    address = "https://cdn.example.com/live/美妆专场.m3u8"
    with store:
        with store.session() as s:
            add_user(s, "lin", "lead", PASSWORD, now, actor="test")
            ingest = {"Authorization": f"Bearer {create_token(s, 'ingest', None, now, actor='test')[0]}"}
        with serving(create_app(store, ServiceOptions())) as base, sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), env=dict(os.environ))
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(str(e)))

            page.goto(f"{base}/console/rooms")
            page.fill('input[name="user"]', "lin")
            page.fill('input[name="password"]', PASSWORD)
            page.click("form.login button[type=submit]")
            page.wait_for_url(f"{base}/console/rooms")

            page.fill('input[name="address"]', "file:///etc/passwd")
            page.click("form.room-add button[type=submit]")
            assert "protocol 'file' is not allowed" in page.locator(".error").inner_text()
            assert page.locator("#rooms").count() == 0

            page.fill('input[name="address"]', address)
            page.fill('input[name="label"]', "美妆专场")
            page.click("form.room-add button[type=submit]")
            page.wait_for_url(f"{base}/console/rooms?notice=added")
            row = page.locator('tr[data-room="1"]')
            assert address in row.locator("td.stream").inner_text() and "等待分配" in row.inner_text()

            beat = httpx.post(f"{base}/api/v1/watch/heartbeat", headers=ingest,
                              json={"worker": "gpu-01:4242", "capacity": 2})
            assert beat.json()["granted"][0]["room"] == 1
            page.reload()
            assert "gpu-01:4242" in row.locator("td.worker").inner_text()
            assert "秒前" in row.locator("td.heartbeat").inner_text()
            assert "gpu-01:4242" in page.locator("#workers").inner_text()

            row.locator("button[type=submit]").click()
            page.wait_for_url(f"{base}/console/rooms?notice=removed")
            assert "已移除直播间" in page.locator(".notice").inner_text()
            assert page.locator("#rooms").count() == 0
            page.click("text=已移除的 removed rooms")
            assert address in page.locator('tr[data-room="1"]').inner_text()
            browser.close()
        refused = "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
        assert problems == [refused]  # the refused address's page, and nothing else (no CSP violation)
