"""The console in a real browser: Debian's Chromium driven by Playwright, from login to a decision whose
webhook a local receiver gets.

The app runs under uvicorn on 127.0.0.1 (an ephemeral port, in a thread) over a SQLite store, with
its webhook deliverer on; the receiver is a loopback HTTP server. Set ``LIVEMON_CONSOLE_SCREENSHOT``
to a path to save the case page there (the README's ``docs/img/console-case.png``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from monitor.service import ServiceOptions, create_app
from monitor.service.auth import add_user, create_token
from monitor.service.webhooks import add_endpoint
from monitor.store import Store
from monitor.store.queue_schema import DecisionRow
from tests.service.console_helpers import PASSWORD, evidenced, jpeg, mp4
from tests.service.live import serving
from tests.service.queue_helpers import finding

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (./setup.sh does)")
sync_api = pytest.importorskip("playwright.sync_api")


class _Receiver(BaseHTTPRequestHandler):
    """Takes every POST (204) and keeps its headers and JSON body."""

    events: list[tuple[dict[str, str], dict[str, Any]]]
    arrived: threading.Event

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.events.append((dict(self.headers), json.loads(body)))
        self.arrived.set()
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def _receiver() -> Iterator[type[_Receiver]]:
    handler = type("Receiver", (_Receiver,), {"events": [], "arrived": threading.Event()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}/livemon"  # type: ignore[attr-defined]
    try:
        yield handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _fonts(tmp_path: Path) -> dict[str, str]:
    """A fontconfig that adds the Noto Sans SC of the ``media`` extra, so the screenshot shows Chinese."""
    spec = importlib.util.find_spec("pylopdf_fonts_zh_cn")
    if spec is None or spec.origin is None:
        return {}
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f"<dir>{Path(spec.origin).parent}</dir><cachedir>{tmp_path / 'fontcache'}</cachedir></fontconfig>",
        encoding="utf-8")
    return {"FONTCONFIG_FILE": str(conf)}


def test_a_reviewer_logs_in_claims_with_c_and_confirms_in_chromium(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    now = datetime.now(UTC)
    snapshot, clip = store.blobs.put(jpeg(640, 360)), store.blobs.put(mp4())
    room = "rtmp://cdn.example/live/美妆专场<b>直播间</b>"
    with _receiver() as receiver, store:
        with store.session() as s:
            add_user(s, "ana", "reviewer", PASSWORD, now, actor="test")
            add_user(s, "bo", "reviewer", PASSWORD, now, actor="test")
            bo = {"Authorization": f"Bearer {create_token(s, 'reviewer', 'bo', now, actor='test')[0]}"}
            ingest = {"Authorization": f"Bearer {create_token(s, 'ingest', None, now, actor='test')[0]}"}
            add_endpoint(s, receiver.url, now, actor="test")  # type: ignore[attr-defined]
        app = create_app(store, ServiceOptions(webhooks=True))
        with serving(app) as base, sync_api.sync_playwright() as playwright:
            earlier = finding("f0", stream=room, category="absolute_terms", start=2400.0, risk="review")
            assert httpx.post(f"{base}/api/v1/findings", headers=ingest, json=[earlier]).status_code == 200
            lease = httpx.post(f"{base}/api/v1/cases/claim", headers=bo).json()
            assert httpx.post(f"{base}/api/v1/cases/{lease['id']}/decision", headers=bo, json={
                "lease_token": lease["lease_token"], "action": "dismiss", "reason": "“全网最低”有比价截图佐证",
                "policies": ["广告法第九条"]}).status_code == 200  # the room's history
            spoken_over = evidenced("f1", snapshot, clip, clip_start=7.5, stream=room, start=10.0, span=[0, 11],
                                    basis="《明码标价和禁止价格欺诈规定》第十九条", source="speech")
            spoken_over["evidence"]["signals"] = {"speaker_turn": 3, "speaker": 0, "overlapped": True,
                                                  "overlap_seconds": 1.942, "overlap_note": "<i>抢</i>"}
            posted = httpx.post(f"{base}/api/v1/findings", headers=ingest, json=[
                spoken_over,
                finding("f2", stream="rtmp://cdn.example/live/room-b", risk="review"),
            ])
            assert posted.status_code == 200, posted.text
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), env={**os.environ, **_fonts(tmp_path)})
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(str(e)))

            page.goto(f"{base}/console")
            assert page.url == f"{base}/console/login?next=%2Fconsole"
            page.fill('input[name="user"]', "ana")
            page.fill('input[name="password"]', PASSWORD)
            page.click("form.login button[type=submit]")
            page.wait_for_url(f"{base}/console")
            assert page.locator('[data-status="open"] .count').inner_text() == "2"
            assert "<b>直播间</b>" in page.locator("td.stream").first.inner_text()  # shown as text, not markup

            page.keyboard.press("c")
            page.wait_for_url(re.compile(r".*/console/cases/\d+$"))
            case_id = int(page.url.rsplit("/", 1)[1])
            page.wait_for_function("document.querySelector('img.snapshot').naturalWidth > 0")
            assert page.eval_on_selector("img.snapshot", "i => i.naturalWidth") == 640
            assert page.locator(".context mark").inner_text() == "原价599今天只要59。"
            assert page.locator(".basis").inner_text().endswith("《明码标价和禁止价格欺诈规定》第十九条")
            assert page.locator("#speaker-1").inner_text() == (
                "说话人 Speaker 0 · 轮次 turn #3 · 抢话/叠音 spoken over another voice (1.9 s)")
            assert page.locator("#speaker-1 b.overlap").inner_text() == "抢话/叠音 spoken over another voice"
            page.wait_for_function("document.querySelector('video.clip').readyState >= 2")
            assert abs(page.eval_on_selector("video.clip", "v => v.currentTime") - 2.5) < 0.2
            assert re.fullmatch(r"(9|10):\d\d", page.locator("#lease-left").inner_text())
            assert "“全网最低”有比价截图佐证" in page.locator("#room-history").inner_text()
            if target := os.environ.get("LIVEMON_CONSOLE_SCREENSHOT"):
                page.screenshot(path=target, full_page=True)

            page.keyboard.press("b")
            assert "blur" in page.eval_on_selector("img.snapshot", "i => getComputedStyle(i).filter")
            page.keyboard.press("b")
            assert page.eval_on_selector("img.snapshot", "i => getComputedStyle(i).filter") == "none"

            page.keyboard.press("d")
            assert page.evaluate("document.activeElement.name") == "action"
            assert not page.locator("#sanction").is_visible()  # a sanction goes with a confirm only
            page.check('input[name="action"][value="confirm"]')
            page.select_option("#sanction", "警示")
            page.fill('textarea[name="reason"]', "划线价599元高于前7日最低成交价")
            assert page.input_value('textarea[name="policies"]') == "《明码标价和禁止价格欺诈规定》第十九条"
            page.click("#decision-form button[type=submit]")
            page.wait_for_url(f"{base}/console?decided={case_id}")
            assert f"已记录案件 #{case_id} 的决定" in page.locator(".notice").inner_text()
            assert page.locator('[data-status="decided"] .count').inner_text() == "2"
            browser.close()

            assert receiver.arrived.wait(30), "no webhook reached the local receiver"  # type: ignore[attr-defined]
            deadline = time.monotonic() + 30
            while not any(e["type"] == "case.decided" and e["data"]["case"] == case_id for _, e in receiver.events) \
                    and time.monotonic() < deadline:
                time.sleep(0.1)
        assert problems == []
        with store.session() as s:
            decision = s.scalars(select(DecisionRow).where(DecisionRow.case_id == case_id)).one()
            assert (decision.case_id, decision.action, decision.sanction, decision.decided_by) == \
                (case_id, "confirm", "警示", "ana")
        decided = [(headers, e) for headers, e in receiver.events
                   if e["type"] == "case.decided" and e["data"]["case"] == case_id]
        assert len(decided) == 1
        headers, event = decided[0]
        assert event["data"]["case"] == case_id and event["data"]["sanction"] == "警示"
        assert headers["webhook-signature"].startswith("v1,")
