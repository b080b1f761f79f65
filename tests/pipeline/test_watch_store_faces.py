"""A watched room's stored record keeps its host's face track (the frames of its face windows) and its voice, so a
rescan of the record judges the digital-human signals as a rescan of the same room's scanned record does."""

from __future__ import annotations

import pytest

from benchmarks.digital_human.generate import clip_path
from benchmarks.digital_human.scenario import Scenario
from monitor.config import ScanOptions
from monitor.detectors.digital_human import DigitalHumanResult
from monitor.detectors.stream import detect_stream
from monitor.pipeline.engines import Engines
from monitor.pipeline.scan import detector_options, scan
from monitor.pipeline.watch import watch
from monitor.store import Store
from monitor.store.parts import RecordView


@pytest.fixture(scope="module")
def room() -> str:
    return str(clip_path(Scenario("avatar", "no_label", 0)))


@pytest.fixture(scope="module")
def scanned(room: str, engines: Engines, options: ScanOptions, tmp_path_factory: pytest.TempPathFactory
            ) -> DigitalHumanResult:
    """The digital-human judgement of a rescan of the room's scanned record."""
    with Store.open(tmp_path_factory.mktemp("scan-store") / "store") as store:
        scan(room, options, engines, store=store)
        return _rescanned(store, options, engines)


def _rescanned(store: Store, options: ScanOptions, engines: Engines) -> DigitalHumanResult:
    [(key, spec)] = store.stored_sources()
    stages = [store.load_stage(key, stage, stage_key) for stage, stage_key in store.newest_stage_keys(key).items()]
    view = RecordView.joined([s.view(store.blobs) for s in stages if s is not None], store.blobs)
    faces = view.faces()
    assert faces is not None and faces.frames, "the stored record has no face track"
    detection = detect_stream(view, engines.claims, detector_options(options), stream=spec)
    assert detection.digital_human is not None
    return detection.digital_human


def test_rescanning_a_watched_rooms_record_judges_its_host_as_rescanning_its_scan_does(
    store: Store, room: str, scanned: DigitalHumanResult, engines: Engines, options: ScanOptions,
) -> None:
    [state] = watch([room], options, engines, lambda finding, snapshot: None, store=store)
    assert state.error is None
    watched = _rescanned(store, options, engines)
    assert watched.judgement == scanned.judgement
    assert watched.likelihood == pytest.approx(scanned.likelihood, abs=0.02)
    assert [s.name for s in watched.signals] == [s.name for s in scanned.signals]
    for mine, theirs in zip(watched.signals, scanned.signals, strict=True):
        assert (mine.score is None) == (theirs.score is None), mine.name
        assert mine.score is None or mine.score == pytest.approx(theirs.score, abs=0.05), mine.name
    assert watched.view == scanned.view
