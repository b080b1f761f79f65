"""The ``livemon`` command line."""

from __future__ import annotations

import json
import logging
import os
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from monitor.cli_judge import NO_JUDGE, JudgeChoice, judge_options, report_judge
from monitor.cli_rooms import CapacityOpt, FromOpt, WorkerOpt, room_worker, stop_on_sigterm
from monitor.cli_support import DbOpt, StoreOpt, console, fail, store_session
from monitor.config import ScanOptions, load_options
from monitor.errors import ConfigError, LivemonError
from monitor.records_cli import SIGNING_KEY, KeyOpt, audit_checkpoint, export, hold_app, retention_app
from monitor.sinks.terminal_text import SafeLogFormatter, plain, visible_controls

app = typer.Typer(help="Compliance monitor for Chinese live-selling rooms (直播带货).", no_args_is_help=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="YAML or TOML file of scan options")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="write findings as JSON Lines")]
ReportOpt = Annotated[Path | None, typer.Option("--report", help="write an HTML report with snapshots")]
FrameIntervalOpt = Annotated[float | None, typer.Option(help="seconds between sampled frames [1.0]")]
AsrModelOpt = Annotated[str | None, typer.Option(help="'embedded:base', a size name or a folder")]
AsrEngineOpt = Annotated[str | None, typer.Option(help="faster-whisper (default) or torch")]
DeviceOpt = Annotated[str | None, typer.Option(help="auto, cpu or cuda")]
RulesOpt = Annotated[
    list[Path] | None,
    typer.Option("--rules", help="folder of extra rule packs, or platform:NAME for a platform's banned-word packs"),
]
AllowListOpt = Annotated[Path | None, typer.Option(help="file of phrases never to flag")]
ClassifierOpt = Annotated[str | None, typer.Option(help="'embedded', 'none' or a transformers folder")]
NoSpeechOpt = Annotated[bool, typer.Option("--no-speech", help="skip transcription")]
NoScreenOpt = Annotated[bool, typer.Option("--no-screen", help="skip on-screen text")]
NoFacesOpt = Annotated[bool, typer.Option("--no-faces", help="skip the digital-human face analysis")]
NoTurnsOpt = Annotated[bool, typer.Option(
    "--no-speaker-turns", help="do not tell speakers apart (a spoken finding may then hold two speakers' words)"
)]
DhGapOpt = Annotated[float | None, typer.Option(help="longest allowed gap in the AI label, seconds [5]")]
VerticalOpt = Annotated[str | None, typer.Option(
    help="行业 the room's vertical (cosmetics/美妆护肤, health_food, tea, apparel, jewellery, electronics, food): "
    "Whisper's prompt and hotwords from prompts/asr [the room metadata's vertical, else default]")]
ToOpt = Annotated[
    str | None, typer.Option("--to", help="post findings with their evidence to this livemon service (http/https URL)")
]
TokenOpt = Annotated[
    str | None,
    typer.Option("--token", envvar="LIVEMON_TOKEN", help="the service's ingest token (better: the LIVEMON_TOKEN "
                 "variable, which stays out of the shell history)"),
]
ClipsOpt = Annotated[
    bool | None,
    typer.Option("--clips/--no-clips", help="cut an MP4 clip of the stream around each finding (on with --to)"),
]


def _send_report(sink: Any) -> bool:
    """Say what went to the service, and name the spool when findings wait in it (then True)."""
    console.print(f"{sink.sent} finding(s) sent → {sink.target.url} ({sink.new} new, {sink.duplicates} already there)")
    if sink.pending:
        console.print(Text.assemble(
            ("not sent:", "bold red"), f" {sink.pending} finding(s) wait in ", plain(sink.spool),
            " (", plain(sink.last_error or "the service could not be reached"), "); the next run with --to sends "
            "them, or `livemon push ", plain(sink.spool), " --to URL`"), soft_wrap=True)
    return bool(sink.pending)


def _run_scan(
    source: str, options: ScanOptions, out: Path | None, report: Path | None, to: Any = None,
    clips: bool | None = None, store: Path | None = None, db: str | None = None, judge: Any = None,
) -> int:
    import tempfile

    from monitor.pipeline.engines import build_engines
    from monitor.pipeline.scan import scan
    from monitor.sinks.console import RichProgress, print_summary
    from monitor.sinks.html_report import write_report
    from monitor.sinks.jsonl import finding_record, write_jsonl
    from monitor.sinks.queue_service import QueueSink, spool_path
    from monitor.sources.open import is_url, open_source, probe
    from monitor.store import Store

    beside = out or report
    if clips and beside is None and to is None:
        raise ConfigError("--clips needs --out, --report or --to: the clips are written beside them")
    needed = options
    if not is_url(source):  # a bad file is reported before minutes of model loading
        with open_source(source) as container:
            if not probe(container, source).has_video:  # an audio-only recording needs no OCR or face model
                needed = options.model_copy(update={"screen": False, "faces": False})
    with console.status("loading models…"):
        engines = build_engines(needed)
    with tempfile.TemporaryDirectory(prefix="livemon-clips-") as scratch, \
            Store.open(store, db) if store is not None else nullcontext() as kept:
        evidence = beside.with_name(beside.stem + "_evidence") if beside is not None else Path(scratch)
        with RichProgress(console) as progress:
            result = scan(source, options, engines, hook=progress, store=kept, judge=judge,
                          clips=evidence if (clips if clips is not None else to is not None) else None)
        paths = {}
        if out is not None:
            paths = result.snapshots.write(evidence)
            write_jsonl(result.findings, out, paths)
        written = write_report(result, report) if report is not None else None
        print_summary(result, console)
        report_judge(judge)
        if out is not None:
            console.print(Text.assemble("findings → ", plain(out)))
        if written is not None:
            console.print(Text.assemble("报告 report → ", plain(written.path), f" ({written})"), soft_wrap=True)
        if store is not None:
            console.print(Text.assemble("record and findings → store ", plain(store),
                                        " (`livemon rescan` with new rules runs only the detectors)"))
        if to is not None:
            with QueueSink(to, spool_path(out or Path("livemon-scan.jsonl"))) as sink:
                for finding in result.findings:
                    snapshot = result.snapshots.images.get(finding.evidence.snapshot or "")
                    sink.add(finding_record(finding, paths), snapshot)
            if _send_report(sink):
                raise typer.Exit(code=1)
    return len(result.findings)


@app.command()
@judge_options
def scan(
    source: Annotated[str, typer.Argument(help="media file (mp4, flv, mkv, ts, m4a, wav, mp3) or stream URL")],
    out: OutOpt = None,
    report: ReportOpt = None,
    config: ConfigOpt = None,
    frame_interval: FrameIntervalOpt = None,
    asr_model: AsrModelOpt = None,
    asr_engine: AsrEngineOpt = None,
    device: DeviceOpt = None,
    max_duration: Annotated[float | None, typer.Option(help="stop after N seconds (live URLs)")] = None,
    rule_packs: RulesOpt = None,
    allow_list: AllowListOpt = None,
    classifier: ClassifierOpt = None,
    no_speech: NoSpeechOpt = False,
    no_screen: NoScreenOpt = False,
    no_faces: NoFacesOpt = False,
    no_speaker_turns: NoTurnsOpt = False,
    room_meta: Annotated[Path | None, typer.Option(
        help="room metadata JSON (title, declared host type, vertical)")] = None,
    vertical: VerticalOpt = None,
    dh_gap: DhGapOpt = None,
    forgery_model: Annotated[Path | None, typer.Option(help="ONNX face-forgery model")] = None,
    to: ToOpt = None,
    token: TokenOpt = None,
    clips: ClipsOpt = None,
    store: Annotated[Path | None, typer.Option(
        "--store", help="keep the record of every stage and the findings in this store folder, for rescans")] = None,
    db: DbOpt = None,
    judge: JudgeChoice = NO_JUDGE,
) -> None:
    """Scan a recording or stream for false-marketing claims."""
    from monitor.sinks.queue_service import queue_target

    second = None
    try:
        options = load_options(
            config,
            frame_interval=frame_interval,
            asr_model=asr_model,
            asr_engine=asr_engine,
            device=device,
            max_duration=max_duration,
            rule_packs=tuple(rule_packs) if rule_packs else None,
            allow_list=allow_list,
            classifier=classifier,
            speech=False if no_speech else None,
            screen=False if no_screen else None,
            faces=False if no_faces else None,
            speaker_turns=False if no_speaker_turns else None,
            room_meta=room_meta,
            vertical=vertical,
            dh_gap=dh_gap,
            forgery_model=forgery_model,
        )
        if db is not None and store is None:
            raise ConfigError("--db needs --store: the store folder keeps the blobs beside the database")
        second = judge.build()
        _run_scan(source, options, out, report, queue_target(to, token), clips, store, db, second)
    except LivemonError as e:
        fail(e)
    finally:
        if second is not None:
            second.close()


def _room_specs(sources: list[str], rooms_file: Path | None) -> tuple[list[str], dict[str, Path]]:
    """The rooms to watch, and the room-metadata file of each rooms-file line that gives one after a tab."""
    specs = list(sources)
    metas: dict[str, Path] = {}
    if rooms_file is not None:
        try:
            lines = rooms_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"cannot read the rooms file {rooms_file}: {e}") from e
        for line in lines:
            spec, _, meta = (part.strip() for part in line.split("#", 1)[0].partition("\t"))
            if spec:
                specs.append(spec)
            if spec and meta:
                metas[spec] = Path(meta) if Path(meta).is_absolute() else rooms_file.parent / meta
    if not specs:
        raise ConfigError("no rooms to watch: give files or URLs, or --rooms FILE with one per line")
    return specs, metas


@app.command()
@judge_options
def watch(
    sources: Annotated[list[str] | None, typer.Argument(help="rooms: stream URLs or media files")] = None,
    rooms_file: Annotated[
        Path | None, typer.Option(
            "--rooms", help="file with one room URL or path per line (optionally a tab and its room-metadata JSON)")
    ] = None,
    out: Annotated[Path, typer.Option(help="append findings here as JSON Lines, as they are found")] = Path(
        "livemon-watch.jsonl"
    ),
    config: ConfigOpt = None,
    realtime: Annotated[bool, typer.Option("--realtime", help="play files at their own speed, as if live")] = False,
    max_duration: Annotated[float | None, typer.Option(help="stop each room after N stream seconds")] = None,
    asr_engine: AsrEngineOpt = None,
    device: DeviceOpt = None,
    rule_packs: RulesOpt = None,
    allow_list: AllowListOpt = None,
    classifier: ClassifierOpt = None,
    no_speech: NoSpeechOpt = False,
    no_screen: NoScreenOpt = False,
    no_faces: NoFacesOpt = False,
    no_speaker_turns: NoTurnsOpt = False,
    room_meta: Annotated[Path | None, typer.Option(
        help="room metadata JSON for every room without its own in --rooms (title, declared host type, vertical)"
    )] = None,
    vertical: VerticalOpt = None,
    dh_gap: DhGapOpt = None,
    to: ToOpt = None,
    token: TokenOpt = None,
    clips: ClipsOpt = None,
    store: Annotated[Path | None, typer.Option(
        "--store", help="keep each room's record and findings here when the watch ends (for rescan --stored)")] = None,
    db: DbOpt = None,
    from_url: FromOpt = None,
    worker: WorkerOpt = None,
    capacity: CapacityOpt = 4,
    metrics: Annotated[str | None, typer.Option(
        "--metrics", metavar="HOST:PORT",
        help="serve /healthz and Prometheus /metrics here while watching (for example 127.0.0.1:9464)")] = None,
    judge: JudgeChoice = NO_JUDGE,
) -> None:
    """Watch many live rooms at once on shared models; findings are appended to --out as they are found.

    Ctrl-C stops reading, finishes what is queued and exits. A room that fails is reported
    and the others go on; the exit code is then 1. The digital-human checks run per room: a
    missing AI label is told within seconds of exceeding --dh-gap, the host's face and voice
    are judged over each face window (face_window of every face_period seconds).
    With --from URL the rooms come from a livemon service (added there, leased to this worker with
    a heartbeat, up to --capacity at once) and the findings go back to it; the worker runs until
    Ctrl-C or SIGTERM, then gives its rooms back.
    """
    from rich.live import Live

    from monitor.detectors.digital_human import load_room_meta
    from monitor.pipeline.engines import build_engines
    from monitor.pipeline.watch import WatchOptions
    from monitor.pipeline.watch import watch as watch_rooms
    from monitor.sinks.console import rooms_table
    from monitor.sinks.jsonl import FindingAppender
    from monitor.sinks.queue_service import QueueSink, spool_path
    from monitor.sinks.watch_metrics import WatchMetrics, parse_address
    from monitor.store import Store

    second = None
    try:
        specs, meta_files = (_room_specs(sources or [], rooms_file) if sources or rooms_file or not from_url
                             else ([], {}))
        second = judge.build()
        options = load_options(
            config, max_duration=max_duration, asr_engine=asr_engine, device=device,
            rule_packs=tuple(rule_packs) if rule_packs else None, allow_list=allow_list, classifier=classifier,
            speech=False if no_speech else None, screen=False if no_screen else None,
            faces=False if no_faces else None, speaker_turns=False if no_speaker_turns else None,
            room_meta=room_meta, vertical=vertical, dh_gap=dh_gap,
        )
        address = parse_address(metrics) if metrics is not None else None
        target, feed = room_worker(from_url, to, token, worker, capacity, options, store)
        metas = {spec: load_room_meta(path) for spec, path in meta_files.items()}
        with console.status("loading models…"):
            engines = build_engines(options)
        evidence = out.with_name(f"{out.stem}_evidence") if (clips if clips is not None else target) else None
        queue = QueueSink(target, spool_path(out), background=True) if target is not None else None
        if db is not None and store is None:
            raise ConfigError("--db needs --store: the store folder keeps the blobs beside the database")
        stop = stop_on_sigterm() if feed is not None else None
        with FindingAppender(out) as sink, queue or nullcontext(), Live(console=console, auto_refresh=False) as live, \
                Store.open(store, db) if store is not None else nullcontext() as kept, feed or nullcontext(), \
                WatchMetrics() as status:
            if address is not None:
                host, port = status.start(*address)
                shown = f"[{host}]" if ":" in host else host
                console.print(f"health and metrics: http://{shown}:{port}/healthz, /metrics")

            def ticked(states: list[Any]) -> None:
                live.update(rooms_table(states), refresh=True)
                status.tick(states)

            def found(finding: Any, snapshot: bytes | None) -> None:
                sink(finding, snapshot)
                if queue is not None:
                    queue.add(finding.to_dict(), snapshot)

            rooms = watch_rooms(
                specs, options, engines, found, WatchOptions(realtime=realtime, clips=evidence),
                on_tick=ticked, store=kept, feed=feed,
                stop=stop, judge=second, room_meta=metas,
            )
            live.update(rooms_table(rooms), refresh=True)
    except LivemonError as e:
        fail(e)
    finally:
        if second is not None:
            second.close()
    console.print(Text.assemble(f"\n{sink.written} finding(s) appended → ", plain(out)))
    report_judge(second)
    unsent = queue is not None and _send_report(queue)
    if (feed is None and any(r.error for r in rooms)) or unsent:  # a worker's failed rooms went back to the service
        raise typer.Exit(code=1)




@app.command()
@judge_options
def rescan(
    sources: Annotated[list[str] | None, typer.Argument(help="files, folders, globs or stream URLs")] = None,
    manifest: Annotated[
        Path | None, typer.Option(help="file with one source per line (tab, then a room-metadata JSON)")
    ] = None,
    stored: Annotated[bool, typer.Option(
        "--stored", help="every source the store holds a record of (scanned or watched): detectors only, no media")
    ] = False,
    store: StoreOpt = Path("livemon-store"),
    db: DbOpt = None,
    out: Annotated[Path, typer.Option(help="write every source's current findings here as JSON Lines")] = Path(
        "livemon-rescan.jsonl"
    ),
    config: ConfigOpt = None,
    frame_interval: FrameIntervalOpt = None,
    asr_model: AsrModelOpt = None,
    asr_engine: AsrEngineOpt = None,
    device: DeviceOpt = None,
    rule_packs: RulesOpt = None,
    allow_list: AllowListOpt = None,
    classifier: ClassifierOpt = None,
    min_confidence: Annotated[float | None, typer.Option(help="drop findings below this confidence")] = None,
    dh_gap: DhGapOpt = None,
    vertical: VerticalOpt = None,
    no_speech: NoSpeechOpt = False,
    no_screen: NoScreenOpt = False,
    no_faces: NoFacesOpt = False,
    no_speaker_turns: NoTurnsOpt = False,
    backend: Annotated[str, typer.Option(help="'local' (this process) or 'ray' (a Ray cluster)")] = "local",
    ray_address: Annotated[
        str | None, typer.Option(help="Ray cluster to join, e.g. ray://head:10001 [a new local one]")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Ray workers, one model set each [one per CPU]")] = None,
    to: ToOpt = None,
    token: TokenOpt = None,
    clips: ClipsOpt = None,
    judge: JudgeChoice = NO_JUDGE,
) -> None:
    """Rescan many recordings through the store: stages already stored are not made again.

    A source already done under the same settings is skipped (a stopped rescan resumes);
    changing only rule packs, the allow-list, thresholds or --dh-gap re-runs the detectors
    on the stored observations. A bad source is recorded as failed and the others go on (exit 1).
    With --stored, every source the store holds a record of is re-detected from that record
    (watched rooms included), without its media.
    """
    from monitor.pipeline.rescan import rescan as run_rescan
    from monitor.sinks.console import RichProgress, rescan_table
    from monitor.sinks.jsonl import BatchFindingsWriter
    from monitor.sinks.queue_service import QueueSink, queue_target, spool_path
    from monitor.sources.batch import BatchSource, expand_sources
    from monitor.store import Store

    second = None
    try:
        target = queue_target(to, token)
        if stored and (sources or manifest):
            raise ConfigError("--stored takes the sources from the store: give no sources or --manifest with it")
        items = [] if stored else expand_sources(sources or [], manifest)
        options = load_options(
            config, frame_interval=frame_interval, asr_model=asr_model, asr_engine=asr_engine, device=device,
            rule_packs=tuple(rule_packs) if rule_packs else None, allow_list=allow_list, classifier=classifier,
            min_confidence=min_confidence, dh_gap=dh_gap, vertical=vertical, speech=False if no_speech else None,
            screen=False if no_screen else None, faces=False if no_faces else None,
            speaker_turns=False if no_speaker_turns else None,
        )
        if backend not in ("local", "ray"):
            raise ConfigError(f"--backend must be 'local' or 'ray', got {backend!r}")
        second = judge.build()
        if second is not None and backend == "ray":
            raise ConfigError("--judge runs with --backend local only (Ray workers would each need the key)")
        remote = None
        if backend == "ray":
            from monitor.pipeline.ray_backend import RayBackend

            remote = RayBackend(store.resolve(), db, address=ray_address, workers=workers)
        evidence = out.with_name(f"{out.stem}_evidence") if (clips if clips is not None else target) else None
        queue = QueueSink(target, spool_path(out)) if target is not None else None
        if stored and db is None and not store.is_dir():
            raise ConfigError(f"no store at {store}")
        with Store.open(store, db) as opened, BatchFindingsWriter(out) as sink, queue or nullcontext(), \
                RichProgress(console) as progress:
            if stored:
                items = [BatchSource(spec, stored_key=key) for key, spec in opened.stored_sources()]
                if not items:
                    raise ConfigError(f"the store at {store} holds no record yet")

            def done(spec: str, findings: Any) -> None:
                sink(spec, findings)
                if queue is not None:
                    for record, snapshot in findings:
                        queue.add(record, snapshot)
                    queue.flush()

            summary = run_rescan(items, options, opened, done, hook=progress, backend=remote, clips=evidence,
                                 judge=second)
    except LivemonError as e:
        fail(e)
    finally:
        if second is not None:
            second.close()
    console.print(rescan_table(summary))
    report_judge(second)
    console.print(Text.assemble(f"{sink.written} finding(s) → ", plain(out)))
    unsent = queue is not None and _send_report(queue)
    if summary.failed or unsent:
        raise typer.Exit(code=1)


@app.command("eval")
def evaluate(
    truth: Annotated[Path, typer.Option(help="labelled segments, JSON Lines: stream, category, start, end[, source]")],
    store: StoreOpt = Path("livemon-store"),
    db: DbOpt = None,
    out: Annotated[Path, typer.Option(help="folder for eval.json, eval.md and eval.png")] = Path("livemon-eval"),
    pad: Annotated[float, typer.Option(help="seconds of slack when matching times")] = 1.0,
) -> None:
    """Score the store's current findings against your own labelled recordings."""
    from monitor.evaluation import read_truth, score_findings
    from monitor.evaluation.report import markdown, write_eval
    from monitor.store import Store

    try:
        segments = read_truth(truth)
        if not store.is_dir():
            raise ConfigError(f"no store at {store}: run `livemon rescan ... --store {store}` first")
        with Store.open(store, db) as opened:
            result = score_findings(segments, opened.all_current_findings(), pad=pad)
        files = write_eval(result, out)
    except LivemonError as e:
        fail(e)
    console.print(markdown(result), markup=False, highlight=False)
    console.print(Text.assemble("wrote ", plain(", ".join(str(f) for f in files))))


store_app = typer.Typer(help="Look after the store of rescans.", no_args_is_help=True)
app.add_typer(store_app, name="store")


@store_app.command("gc")
def store_gc(
    store: StoreOpt = Path("livemon-store"),
    db: DbOpt = None,
    retention_days: Annotated[
        float, typer.Option(help="keep everything younger than this (legal minimum: 3 years)")
    ] = 3 * 365.0,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="count what would go, remove nothing")] = False,
) -> None:
    """Remove blobs that no stage record or finding refers to, once older than the retention period."""
    from datetime import timedelta

    from monitor.store import Store

    try:
        if not store.is_dir():
            raise ConfigError(f"no store at {store}")
        with Store.open(store, db) as opened:
            print(json.dumps(opened.gc(timedelta(days=retention_days), dry_run=dry_run), indent=2))
    except LivemonError as e:
        fail(e)


@store_app.command("stats")
def store_stats(store: StoreOpt = Path("livemon-store"), db: DbOpt = None) -> None:
    """Counts of sources, stage records, runs and findings, and the bytes of blobs (JSON)."""
    from monitor.store import Store

    try:
        if not store.is_dir():
            raise ConfigError(f"no store at {store}")
        with Store.open(store, db) as opened:
            print(json.dumps(opened.stats(), indent=2))
    except LivemonError as e:
        fail(e)


@app.command("report")
def report_from_store(
    source: Annotated[str, typer.Argument(help="a scanned file, its path or URL as scanned, or its key in the store")],
    store: StoreOpt = Path("livemon-store"),
    db: DbOpt = None,
    report: Annotated[Path, typer.Option("--report", help="where to write the HTML report")] = Path("report.html"),
) -> None:
    """Make a source's HTML report again from the store: the findings, snapshots, transcript and summary its last
    scan or rescan kept (without the media, without holding the session in memory)."""
    from monitor.pipeline.stored_report import find_source, stored_report
    from monitor.sinks.html_report import write_report
    from monitor.store import Store

    try:
        if db is None and not store.is_dir():
            raise ConfigError(f"no store at {store}")
        with Store.open(store, db) as opened:
            written = write_report(stored_report(opened, find_source(opened, source)), report)
    except LivemonError as e:
        fail(e)
    console.print(Text.assemble("报告 report → ", plain(written.path), f" ({written})"), soft_wrap=True)


@app.command()
def serve(
    store: StoreOpt = Path("livemon-store"),
    db: DbOpt = None,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    no_webhooks: Annotated[
        bool, typer.Option("--no-webhooks", help="deliver no webhooks here (run `livemon webhooks deliver`)")
    ] = False,
    workers: Annotated[int, typer.Option(min=1, max=64, help="server processes (each with its own pool)")] = 1,
    config: Annotated[Path | None, typer.Option(
        "--config", help="YAML or TOML options file: its allowed_protocols and allowed_hosts say which room "
        "addresses may be added for `watch --from` workers")] = None,
    room_lease: Annotated[float, typer.Option(
        min=3.0, max=3600.0, help="seconds a watch worker holds a room without a heartbeat")] = 30.0,
) -> None:
    """Serve the moderation queue over the store: findings in, cases leased to reviewers, decisions audited.

    Every API request needs `Authorization: Bearer TOKEN` (`livemon tokens create`); API under /api/v1,
    OpenAPI at /openapi.json, Prometheus text at /metrics. Reviewers log in to the console at /console.
    Webhooks (`livemon webhooks add`) are delivered from a background thread unless --no-webhooks.
    """
    import uvicorn

    from monitor.service import create_app
    from monitor.service.asgi import service_options
    from monitor.store import Store

    try:
        options = service_options(not no_webhooks, config, room_lease)
        opened = Store.open(store, db)  # made and migrated once, before any worker starts
    except LivemonError as e:
        fail(e)
    if workers > 1:
        from monitor.service.asgi import ENV_CONFIG, ENV_DB, ENV_ROOM_LEASE, ENV_STORE, ENV_WEBHOOKS

        opened.close()
        os.environ.update({ENV_STORE: str(store.resolve()), ENV_DB: db or "",
                           ENV_WEBHOOKS: "0" if no_webhooks else "1",
                           ENV_CONFIG: str(config.resolve()) if config else "", ENV_ROOM_LEASE: str(room_lease)})
        uvicorn.run("monitor.service.asgi:app_from_env", factory=True, workers=workers, host=host, port=port)
        return
    try:
        try:
            service = create_app(opened, options)
        except LivemonError as e:  # an unreadable console secret, say
            fail(e)
        uvicorn.run(service, host=host, port=port)
    finally:
        opened.close()


users_app = typer.Typer(help="People who review cases.", no_args_is_help=True)
app.add_typer(users_app, name="users")
tokens_app = typer.Typer(help="Bearer tokens for the service's API.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")
audit_app = typer.Typer(help="The tamper-evident record of every action.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
audit_app.command("checkpoint")(audit_checkpoint)
app.add_typer(retention_app, name="retention")
app.add_typer(hold_app, name="hold")
app.command()(export)
webhooks_app = typer.Typer(help="Signed event callbacks to the platform, through an outbox.", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")
EndpointArg = Annotated[int, typer.Argument(help="the endpoint's id (`livemon webhooks list`)")]


def _read_password(prompt: str, from_stdin: bool) -> str:
    """The first line of stdin, or a password typed twice at a hidden prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="login name (letters, digits, . _ @ -)")],
    role: Annotated[str, typer.Option(help="reviewer, lead or admin")] = "reviewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from the first line of stdin")
    ] = False,
    store: StoreOpt = Path("livemon-store"),
    db: DbOpt = None,
) -> None:
    """Add a user; the password is kept only as an Argon2 hash."""
    from monitor.service.auth import add_user
    from monitor.service.db import system_clock

    password = _read_password("password", password_stdin)
    with store_session(store, db) as s:
        add_user(s, name, role, password, system_clock(), actor="cli")
    console.print(Text.assemble("added ", plain(name), f" ({role})"))


@users_app.command("passwd")
def users_passwd(
    name: Annotated[str, typer.Argument(help="the user's login name")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the new password from the first line of stdin")
    ] = False,
    store: StoreOpt = Path("livemon-store"),
    db: DbOpt = None,
) -> None:
    """Change a user's password (asked twice, or read from stdin); their console sessions end."""
    from monitor.service.auth import set_password
    from monitor.service.db import system_clock

    password = _read_password("new password", password_stdin)
    with store_session(store, db) as s:
        set_password(s, name, password, system_clock(), actor="cli")
    console.print(Text.assemble("password changed for ", plain(name)))


@tokens_app.command("create")
def tokens_create(
    role: Annotated[str, typer.Option(help="ingest, reviewer, lead or admin")],
    user: Annotated[str | None, typer.Option(help="the user the token acts for")] = None,
    store: StoreOpt = Path("livemon-store"),
    db: DbOpt = None,
) -> None:
    """Create a bearer token; it is printed once, alone on the last line, and stored only as its sha256."""
    from monitor.service.auth import create_token
    from monitor.service.db import system_clock

    with store_session(store, db) as s:
        token, token_id = create_token(s, role, user, system_clock(), actor="cli")
    console.print(f"token {token_id} ({role}); it is shown only now:")
    print(token)


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[int, typer.Argument(help="the token's id (livemon tokens list)")],
    store: StoreOpt = Path("livemon-store"),
    db: DbOpt = None,
) -> None:
    """End a token at once; requests carrying it get 401 from then on."""
    from monitor.service.auth import revoke_token
    from monitor.service.db import system_clock

    with store_session(store, db) as s:
        revoke_token(s, token_id, system_clock(), actor="cli")
    console.print(f"token {token_id} revoked")


@tokens_app.command("list")
def tokens_list(store: StoreOpt = Path("livemon-store"), db: DbOpt = None) -> None:
    """Print every token's id, role, user and dates as JSON Lines (tokens themselves are never stored)."""
    from monitor.service.auth import list_tokens

    with store_session(store, db) as s:
        tokens = list_tokens(s)
    for token in tokens:
        print(json.dumps(token, ensure_ascii=False))


@audit_app.command("verify")
def audit_verify(
    store: StoreOpt = Path("livemon-store"),
    db: DbOpt = None,
    key: KeyOpt = None,
    checkpoints: Annotated[Path | None, typer.Option(help="the copied checkpoints (JSON Lines) to check too")] = None,
) -> None:
    """Check the audit chain, its signed checkpoints, then every evidence blob an ingested finding names; exit 1
    naming the first event that was altered, removed or added, and each evidence file missing or altered."""
    from monitor.service.audit import verify_chain
    from monitor.service.checkpoints import load_public_key, read_checkpoint_file, verify_checkpoints
    from monitor.service.evidence import verify_evidence
    from monitor.store import Store

    key_file = key or store / SIGNING_KEY
    try:
        if db is None and not store.is_dir():
            raise ConfigError(f"no store at {store}")
        copies = read_checkpoint_file(checkpoints) if checkpoints else []
        public = load_public_key(key_file) if key is not None or key_file.exists() else None
        with Store.open(store, db) as opened, opened.session() as s:
            check = verify_chain(s)
            signed = verify_checkpoints(s, public, copies) if public is not None and check.ok else None
            evidence = verify_evidence(s, opened.blobs)
    except LivemonError as e:
        fail(e)
    failed = check if not check.ok else signed if signed is not None and not signed.ok else None
    if failed is not None:
        console.print(Text.assemble(("broken:", "bold red"), f" first broken entry: {failed.broken}: ",
                                    plain(failed.problem or "")), soft_wrap=True)
    for problem in evidence.problems:
        console.print(Text.assemble(("evidence:", "bold red"), " ", plain(problem)), soft_wrap=True)
    if failed is not None or not evidence.ok:
        raise typer.Exit(code=1)
    vouched = (f"; {signed.checked} signed checkpoints hold" if signed is not None
               else "; no signing key, so no checkpoint was checked")
    print(f"audit chain intact: {check.events} events{vouched}")
    print(f"evidence intact: {evidence.blobs} blob(s) named by findings")


@app.command()
def push(
    files: Annotated[
        list[Path], typer.Argument(help="findings as JSON Lines (scan --out, watch, rescan) or a *.pending.jsonl spool")
    ],
    to: ToOpt = None,
    token: TokenOpt = None,
) -> None:
    """Post findings, with their snapshot and clip files, to a livemon service (what `--to` does while scanning).

    A spool (`*.pending.jsonl`, left by a run that could not reach the service) is emptied as it
    is sent. Sending twice is harmless. Exit 1 when some findings still wait in a spool.
    """
    from monitor.sinks.queue_service import QueueSink, is_spool, queue_target, read_findings, spool_path

    unsent = False
    try:
        target = queue_target(to, token)
        if target is None:
            raise ConfigError("push needs --to URL, the livemon service to send to")
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise ConfigError(f"no such file: {', '.join(missing)}")
        for path in files:
            with QueueSink(target, spool_path(path)) as sink:  # entering sends what the spool holds
                if not is_spool(path):
                    for record in read_findings(path):
                        sink.add(record)
            unsent = _send_report(sink) or unsent
    except LivemonError as e:
        fail(e)
    if unsent:
        raise typer.Exit(code=1)


def _json_lines(items: list[dict[str, Any]]) -> None:
    for item in items:
        print(visible_controls(json.dumps(item, ensure_ascii=False)))


@webhooks_app.command("add")
def webhooks_add(
    url: Annotated[str, typer.Argument(help="the receiver's http:// or https:// URL")],
    store: StoreOpt = Path("livemon-store"),
    db: DbOpt = None,
) -> None:
    """Add a receiver; its signing secret is printed once, alone on the last line (the database keeps it to sign)."""
    from monitor.service.db import system_clock
    from monitor.service.webhooks import add_endpoint

    with store_session(store, db) as s:
        endpoint_id, secret = add_endpoint(s, url, system_clock(), actor="cli")
    console.print(Text.assemble(f"webhook endpoint {endpoint_id} → ", plain(url), "; its secret is shown only now:"))
    print(secret)


@webhooks_app.command("list")
def webhooks_list(store: StoreOpt = Path("livemon-store"), db: DbOpt = None) -> None:
    """Endpoints, one JSON object a line: URL, enabled, live keys, events pending, delivered and dead."""
    from monitor.service.db import system_clock
    from monitor.service.webhooks import list_endpoints

    with store_session(store, db) as s:
        endpoints = list_endpoints(s, system_clock())
    _json_lines(endpoints)


@webhooks_app.command("rotate")
def webhooks_rotate(
    endpoint: EndpointArg,
    grace_hours: Annotated[float, typer.Option(help="hours the older secret still signs alongside the new")] = 24.0,
    store: StoreOpt = Path("livemon-store"),
    db: DbOpt = None,
) -> None:
    """Give an endpoint a new secret (printed once, on the last line); the old one stays valid for --grace-hours."""
    from datetime import timedelta

    from monitor.service.db import system_clock
    from monitor.service.webhooks import rotate_key

    with store_session(store, db) as s:
        secret = rotate_key(s, endpoint, system_clock(), actor="cli", grace=timedelta(hours=grace_hours))
    console.print(f"new secret for webhook endpoint {endpoint} (the old one signs too for {grace_hours:g} h); "
                  "it is shown only now:")
    print(secret)


@webhooks_app.command("disable")
def webhooks_disable(endpoint: EndpointArg, store: StoreOpt = Path("livemon-store"), db: DbOpt = None) -> None:
    """Stop sending to an endpoint; its pending events become dead letters."""
    from monitor.service.db import system_clock
    from monitor.service.webhooks import disable_endpoint

    with store_session(store, db) as s:
        dropped = disable_endpoint(s, endpoint, system_clock(), actor="cli")
    print(f"webhook endpoint {endpoint} disabled; {dropped} pending event(s) dead-lettered")


@webhooks_app.command("dead")
def webhooks_dead(
    limit: Annotated[int, typer.Option(help="show at most this many, newest first")] = 1000,
    store: StoreOpt = Path("livemon-store"),
    db: DbOpt = None,
) -> None:
    """Dead letters (given up after 24 h), one JSON object a line: event, endpoint, kind, attempts, last error."""
    from monitor.service.webhooks import dead_letters

    with store_session(store, db) as s:
        dead = dead_letters(s, limit)
    _json_lines(dead)


@webhooks_app.command("replay")
def webhooks_replay(
    event: Annotated[str | None, typer.Option("--event", help="queue this event again (dead or delivered)")] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="queue every dead letter again")] = False,
    store: StoreOpt = Path("livemon-store"),
    db: DbOpt = None,
) -> None:
    """Queue events again, each with a fresh 24 h of retries; receivers dedupe by webhook-id."""
    from monitor.service.db import system_clock
    from monitor.service.webhooks import replay

    with store_session(store, db) as s:
        requeued = replay(s, system_clock(), "cli", event_id=event, all_dead=all_dead)
    print(f"{requeued} delivery(ies) queued again")


@webhooks_app.command("deliver")
def webhooks_deliver(
    once: Annotated[bool, typer.Option("--once", help="deliver what is due now, print the counts and exit")] = False,
    store: StoreOpt = Path("livemon-store"),
    db: DbOpt = None,
) -> None:
    """Deliver the outbox from this process (next to `livemon serve --no-webhooks`); Ctrl-C stops."""
    import threading
    from dataclasses import asdict

    from monitor.service.webhooks import Deliverer
    from monitor.store import Store

    try:
        with Store.open(store, db) as opened:
            if once:
                print(json.dumps(asdict(Deliverer(opened).drain())))
                return
            try:
                Deliverer(opened).run(threading.Event())
            except KeyboardInterrupt:
                return
    except LivemonError as e:
        fail(e)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="folder for the demo's outputs")] = Path("livemon-demo"),
) -> None:
    """Generate (once) a sample live-room stream with planted claims and scan it."""
    try:
        from monitor.demo.cache import demo_stream

        with console.status("preparing the sample stream (first run synthesises speech, ~1 min)…"):
            video, truth = demo_stream()
        console.print(Text.assemble("sample stream: ", plain(video), "\nplanted claims: ", plain(truth)))
        options = load_options()
        _run_scan(str(video), options, out / "findings.jsonl", out / "report.html")
    except LivemonError as e:
        fail(e)


@app.command("check-text")
@judge_options
def check_text(
    files: Annotated[
        list[Path] | None, typer.Argument(help="text files, one utterance per line; stdin when none")
    ] = None,
    rule_packs: RulesOpt = None,
    allow_list: AllowListOpt = None,
    classifier: Annotated[
        str, typer.Option(help="'embedded', 'none' (rules alone: fastest) or a transformers classifier folder")
    ] = "embedded",
    source: Annotated[
        str, typer.Option(help="'text' (written: captions, scripts) or 'speech' (ASR transcripts)")
    ] = "text",
    judge: JudgeChoice = NO_JUDGE,
) -> None:
    """Check text lines for claims; print one JSON object per input line."""
    from monitor.detectors.claims import TEXT_SOURCES
    from monitor.pipeline.engines import build_claim_engine
    from monitor.sinks.text_lines import hits_record, iter_lines

    if source not in TEXT_SOURCES:
        fail(ConfigError(f"--source must be one of {', '.join(TEXT_SOURCES)}, got {source!r}"))
    second = None
    try:
        second = judge.build()
        engine = build_claim_engine(tuple(rule_packs or ()), allow_list, classifier)
        out = sys.stdout
        for batch in iter_lines(files or [], sys.stdin):
            hits = engine.check_many(batch, source)
            judged = (second.lines(batch, hits, {h.rule: engine.rule_description(h.rule) for hs in hits for h in hs},
                                   "speech" if source == "speech" else "text") if second is not None else None)
            for i, (line, line_hits) in enumerate(zip(batch, hits, strict=True)):
                record = hits_record(line, line_hits, judged[i] if judged is not None else None)
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
    except LivemonError as e:
        fail(e)
    finally:
        if second is not None:
            second.close()
    report_judge(second)


def _benchmark_suite() -> tuple[Any, tuple[str, ...]]:
    """The suite in the repository's ``benchmarks/`` (not installed: it runs from a checkout)."""
    try:
        from benchmarks.suite.run import ALL, run_suite
    except ImportError:
        checkout = Path(__file__).resolve().parent.parent
        if not (checkout / "benchmarks" / "suite").is_dir():
            raise typer.BadParameter("livemon bench runs from a checkout of the livemon repository") from None
        sys.path.insert(0, str(checkout))
        from benchmarks.suite.run import ALL, run_suite
    return run_suite, ALL


@app.command()
def bench(
    out: Annotated[Path, typer.Option(help="results folder (JSON, Markdown, PNG plots)")] = Path(
        "benchmarks/results/suite"
    ),
    quick: Annotated[bool, typer.Option("--quick", help="small runs, about two minutes")] = False,
    sections: Annotated[
        str | None, typer.Option(help="comma-separated subset of accuracy,throughput,rooms,latency,memory")
    ] = None,
) -> None:
    """Run the benchmark suite: accuracy, throughput, rooms in real time, latency, memory."""
    run_suite, ALL = _benchmark_suite()
    from monitor.sinks.console import RichProgress

    chosen = tuple(s.strip() for s in sections.split(",")) if sections else ALL
    unknown = [s for s in chosen if s not in ALL]
    if unknown:
        fail(LivemonError(f"unknown bench section(s) {unknown}; choose from {', '.join(ALL)}"))
    try:
        with RichProgress(console) as progress:
            result = run_suite(out, quick=quick, sections=chosen, hook=progress)
    except LivemonError as e:
        fail(e)
    console.print((out / "results.md").read_text(encoding="utf-8"), markup=False, highlight=False)
    console.print(Text.assemble("wrote ", plain(", ".join(str(f) for f in result.files))))
    if any(s.status == "failed" for s in result.sections):
        raise typer.Exit(code=1)


def main() -> None:  # pragma: no cover - console entry point
    handler = logging.StreamHandler()
    handler.setFormatter(SafeLogFormatter(logging.BASIC_FORMAT))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
