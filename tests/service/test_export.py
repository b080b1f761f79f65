"""`livemon export`: a period's records as JSON and CSV with their evidence and a manifest of hashes."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

from typer.testing import CliRunner

from monitor.cli import app as cli
from monitor.service.audit import verify_chain
from tests.service.queue_helpers import Service, finding

runner = CliRunner()
SNAPSHOT = b"\xff\xd8\xff\xe0 a tiny jpeg stand-in \xff\xd9"


def _where(service: Service) -> list[str]:
    options = ["--store", str(service.store.folder)]
    if service.store.engine.dialect.name != "sqlite":
        options += ["--db", service.store.engine.url.render_as_string(hide_password=False)]
    return options


def _activity(service: Service) -> str:
    """Two rooms' findings (one with a snapshot and a formula-like text), a blacklisting and an appeal."""
    digest = service.store.blobs.put(SNAPSHOT)
    hostile = finding("f1", text="=HYPERLINK(\"http://evil.example\",\"点我\")",
                      evidence={"snapshot_sha256": digest, "context": "…", "signals": {}})
    service.post("ingest", "/api/v1/findings", [hostile])
    lease = service.claim("lin")
    service.post("ingest", "/api/v1/findings", [finding("f2", stream="room-b")])
    decided = service.post("lin", f"/api/v1/cases/{lease['id']}/decision", {
        "lease_token": lease["lease_token"], "action": "confirm", "reason": "虚构原价", "policies": ["价格法 第十四条"],
        "sanction": "黑名单", "terms": {"facts": "虚构原价", "basis": ["价格法 第十四条"], "period_days": 90,
                                      "appeal_route": "商家后台申诉"}})
    assert decided.status_code == 200, decided.text
    appeal = service.post("ingest", f"/api/v1/sanctions/{decided.json()['sanction']}/appeals", {"statement": "申诉"})
    assert appeal.status_code == 201
    return digest


def test_export_writes_every_record_with_evidence_and_a_manifest(service: Service, tmp_path: Path) -> None:
    digest = _activity(service)
    out = tmp_path / "bundle"
    result = runner.invoke(cli, ["export", "--from", "2026-03-01", "--to", "2026-03-03", "--out", str(out),
                                 *_where(service)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"] == {"findings": 2, "cases": 2, "decisions": 1, "sanctions": 1, "appeals": 1,
                                  "audit": manifest["counts"]["audit"], "evidence_files": 1}
    assert manifest["counts"]["audit"] >= 5
    for entry in manifest["files"]:  # every file is there, as hashed
        assert hashlib.sha256((out / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]
    assert (out / "evidence" / f"{digest}.jpg").read_bytes() == SNAPSHOT
    sanction = json.loads((out / "sanctions.json").read_text(encoding="utf-8"))[0]
    assert (sanction["kind"], sanction["appeal_route"]) == ("黑名单", "商家后台申诉")
    with (out / "findings.csv").open(encoding="utf-8-sig", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    assert "'=HYPERLINK(\"http://evil.example\",\"点我\")" in texts  # inert in a spreadsheet
    with service.store.session() as s:
        check = verify_chain(s)
    assert check.ok
    manifest_sha = hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest()
    assert manifest_sha in result.output


def test_export_of_one_room_and_of_a_period_without_records(service: Service, tmp_path: Path) -> None:
    _activity(service)
    room = runner.invoke(cli, ["export", "--from", "2026-03-01", "--to", "2026-03-03", "--room", "room-b",
                               "--out", str(tmp_path / "b"), *_where(service)])
    assert room.exit_code == 0, room.output
    findings = json.loads((tmp_path / "b" / "findings.json").read_text(encoding="utf-8"))
    assert [f["id"] for f in findings] == ["f2"]
    assert json.loads((tmp_path / "b" / "sanctions.json").read_text(encoding="utf-8")) == []
    earlier = runner.invoke(cli, ["export", "--from", "2025-01-01", "--to", "2025-02-01", "--out",
                                  str(tmp_path / "none"), *_where(service)])
    assert earlier.exit_code == 0
    assert json.loads((tmp_path / "none" / "manifest.json").read_text(encoding="utf-8"))["counts"]["findings"] == 0


def test_export_refuses_a_used_folder_an_empty_period_and_a_bad_date(service: Service, tmp_path: Path) -> None:
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("not ours")
    cases = [
        (["--from", "2026-03-01", "--to", "2026-03-03", "--out", str(used)], "new or empty folder"),
        (["--from", "2026-03-03", "--to", "2026-03-01", "--out", str(tmp_path / "x")], "period is empty"),
        (["--from", "March", "--to", "2026-03-01", "--out", str(tmp_path / "y")], "is not a date"),
    ]
    for args, message in cases:
        result = runner.invoke(cli, ["export", *args, *_where(service)])
        assert result.exit_code == 2 and message in result.output, result.output
    assert (used / "keep.txt").read_text() == "not ours"
