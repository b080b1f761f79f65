"""Speaker turns on generated two-voice audio: the voice encoder, turns, overlaps, and the stored record."""

from __future__ import annotations

import importlib.util
import os
import pickle
import threading
from pathlib import Path

import numpy as np
import pytest

from monitor.errors import ModelError
from monitor.media.types import AudioPCM
from monitor.observations import speaker_embed
from monitor.observations.live_turns import LiveTurns
from monitor.observations.record import SpeechRecord, dump_json, load_json
from monitor.observations.speaker_embed import Ge2eEncoder, mel_filterbank, mel_frames
from monitor.observations.speaker_turns import SpeakerTurnsBuilder
from monitor.observations.turn_types import SpeakerTurn, SpeakerTurns
from tests.observations.speaker_audio import (
    COHOST_LINE,
    COHOST_VOICE,
    HOST_CLAIM,
    HOST_MORE,
    HOST_VOICE,
    adjacent,
    overlapping,
    silence,
    voiced,
)

if importlib.util.find_spec("resemblyzer") is None:  # found, not imported: its own audio code needs webrtcvad
    pytest.skip("the encoder weights ship in the Resemblyzer wheel (setup.sh installs it)", allow_module_level=True)


@pytest.fixture(scope="module")
def encoder() -> Ge2eEncoder:
    return Ge2eEncoder(threads=1)


@pytest.fixture(scope="module")
def voices() -> dict[str, np.ndarray]:
    return {
        "host": voiced(HOST_CLAIM, HOST_VOICE),
        "more": voiced(HOST_MORE, HOST_VOICE),
        "cohost": voiced(COHOST_LINE, COHOST_VOICE),
    }


def _turns(encoder: Ge2eEncoder, audio: np.ndarray, chunk: int = 4_000) -> SpeakerTurns:
    """Turns of ``audio`` fed in decoder-sized chunks, as a scan feeds them."""
    builder = SpeakerTurnsBuilder(encoder)
    for at in range(0, len(audio), chunk):
        builder.feed(AudioPCM(audio[at : at + chunk], start=at / 16_000))
    return builder.result()


def _mean_embedding(encoder: Ge2eEncoder, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mels = mel_frames(audio / np.sqrt(np.mean(audio**2)) * 10 ** (-30 / 20))
    windows = np.stack([mels[i : i + 100] for i in range(0, len(mels) - 100, 50)])
    vectors = encoder.embed(windows)
    mean = vectors.mean(0)
    return vectors, mean / np.linalg.norm(mean)


def test_mel_frames_are_the_power_spectrum_through_the_filterbank() -> None:
    tone = (0.1 * np.sin(2 * np.pi * 1000 * np.arange(16_000) / 16_000)).astype(np.float32)
    mels = mel_frames(tone)
    assert mels.shape == (101, 40) and mels.dtype == np.float32
    padded = np.pad(tone.astype(np.float64), 200)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(400) / 400)
    power = np.abs(np.fft.rfft(np.stack([padded[i * 160 : i * 160 + 400] * window for i in range(101)]))) ** 2
    assert np.allclose(mels, power @ mel_filterbank().T.astype(np.float64), rtol=1e-4, atol=1e-6)
    assert set(mels[50].argsort()[-2:]) == {12, 13}  # 1 kHz lies between bands 12 and 13 of 40 (Slaney scale)


def test_mel_filterbank_is_librosas_slaney_bank() -> None:
    bank = mel_filterbank()
    assert bank.shape == (40, 201)
    assert (bank >= 0).all()
    peaks = bank.argmax(axis=1)
    assert (np.diff(peaks) >= 0).all() and peaks[0] <= 2 and 180 <= peaks[-1] < 200
    # Slaney norm: each triangle's weights times its bin width (40 Hz) integrate to ~1 (a triangle of
    # height 2/(f_hi - f_lo) over its base); the narrow low triangles straddle few bins, hence the tolerance
    assert np.allclose(bank.sum(axis=1)[5:] * 40.0, 1.0, atol=0.05)


def test_encoder_separates_the_host_from_the_cohost(encoder: Ge2eEncoder, voices: dict[str, np.ndarray]) -> None:
    host, host_mean = _mean_embedding(encoder, voices["host"])
    more, _ = _mean_embedding(encoder, voices["more"])
    cohost, _ = _mean_embedding(encoder, voices["cohost"])
    assert np.allclose(np.linalg.norm(host, axis=1), 1.0, atol=1e-4)
    assert np.percentile(more @ host_mean, 10) > 0.78, "another line of the host's voice should match the host"
    assert np.percentile(cohost @ host_mean, 90) < 0.70, "the co-host's voice should not match the host"


def test_the_encoder_loads_at_its_first_use_once_from_any_thread(voices: dict[str, np.ndarray]) -> None:
    """A scan builds the encoder before it reads and tells turns on a thread beside speech recognition: the
    weights load there, once, and two threads at once get the same embeddings as one."""
    windows = np.stack([mel_frames(voices["host"][i * 8_000 : i * 8_000 + 16_000])[:100] for i in range(4)])
    alone = Ge2eEncoder(threads=1).embed(windows)
    shared = Ge2eEncoder(threads=1)
    got: list[np.ndarray] = []
    threads = [threading.Thread(target=lambda: got.append(shared.embed(windows))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 2 and all(np.allclose(g, alone, atol=1e-5) for g in got)


def test_the_encoder_on_onnxruntime_embeds_as_the_weights_do_in_torch(voices: dict[str, np.ndarray]) -> None:
    """The graph built from the wheel's weights gives torch's own embeddings (torch is only the reference here)."""
    pytest.importorskip("torch")
    from benchmarks.speed.speaker_encoder import TorchGe2e

    windows = np.stack([mel_frames(v[i * 8_000 : i * 8_000 + 16_000])[:100] for v in voices.values() for i in range(3)])
    assert np.abs(Ge2eEncoder(threads=1).embed(windows) - TorchGe2e().embed(windows)).max() < 1e-5


def test_a_weights_file_that_asks_for_code_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The weights are read without torch by an unpickler that builds tensors and nothing else."""
    hostile = tmp_path / "pretrained.pt"
    with hostile.open("wb") as f:
        for header in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
            pickle.dump(header, f)
        pickle.dump(_Calls(), f)
    monkeypatch.setattr(speaker_embed, "_weights_path", lambda: hostile)
    with pytest.raises(ModelError, match=r"asks for posix\.getcwd, which a weights file never holds"):
        Ge2eEncoder(threads=1).embed(np.zeros((1, 100, 40), np.float32))


class _Calls:
    def __reduce__(self) -> tuple[object, tuple[()]]:
        return (os.getcwd, ())


def test_damaged_encoder_weights_give_one_clear_error_when_turns_are_first_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    damaged = tmp_path / "pretrained.pt"
    damaged.write_bytes(b"not a torch file")
    monkeypatch.setattr(speaker_embed, "_weights_path", lambda: damaged)
    encoder = Ge2eEncoder(threads=1)
    with pytest.raises(ModelError, match="cannot load the speaker encoder weights"):
        encoder.embed(np.zeros((1, 100, 40), np.float32))


def test_one_voice_gives_one_turn_and_no_overlap(encoder: Ge2eEncoder, voices: dict[str, np.ndarray]) -> None:
    audio = np.concatenate([silence(1.0), voices["host"], silence(1.0), voices["more"], silence(1.0)])
    turns = _turns(encoder, audio)
    assert len(turns.turns) == 1 and turns.speakers == 1
    assert turns.overlaps == ()
    assert turns.turns[0].start <= 1.6 and turns.turns[0].end >= len(audio) / 16_000 - 1.6


def test_silence_gives_no_turns(encoder: Ge2eEncoder) -> None:
    turns = _turns(encoder, silence(5.0))
    assert turns.turns == () and turns.overlaps == ()
    assert SpeakerTurnsBuilder(encoder).result().turns == ()


def test_adjacent_voices_change_turn_where_the_host_stops(
    encoder: Ge2eEncoder, voices: dict[str, np.ndarray]
) -> None:
    audio, host_end = adjacent(voices["host"], voices["cohost"])
    turns = _turns(encoder, audio)
    assert [t.speaker for t in turns.turns] == [0, 1]
    assert abs(turns.turns[1].start - host_end) < 0.5
    assert turns.overlaps == ()


def test_cohost_talking_over_the_host_is_an_overlap_in_the_hosts_turn(
    encoder: Ge2eEncoder, voices: dict[str, np.ndarray]
) -> None:
    audio, (begin, end) = overlapping(voices["host"], voices["cohost"])
    turns = _turns(encoder, audio)
    assert turns.speakers == 2
    assert turns.overlap_within(begin, end) >= 1.0, f"overlap {begin:.1f}-{end:.1f} s not found: {turns.overlaps}"
    assert turns.overlap_within(0.0, begin - 0.5) == 0.0, "the host alone was taken for two voices"
    host_turn = turns.note(begin, end)
    assert host_turn is not None and host_turn.speaker == turns.turns[0].speaker and host_turn.overlapped


def test_turns_round_trip_in_the_speech_record() -> None:
    turns = SpeakerTurns(
        "resemblyzer-ge2e:0.1.4",
        (SpeakerTurn(1.0, 8.505, 0), SpeakerTurn(8.505, 14.75, 1), SpeakerTurn(14.75, 20.1, 0)),
        ((6.25, 8.75),),
    )
    record = SpeechRecord(audio_seconds=21.0, asr="faster-whisper:embedded:base:int8", turns=turns)
    assert load_json(SpeechRecord, dump_json(record)) == record
    assert load_json(SpeechRecord, dump_json(SpeechRecord())) == SpeechRecord()
    older = dump_json(SpeechRecord(audio_seconds=3.0)).replace(b',"turns":null', b"")
    assert b"turns" not in older and load_json(SpeechRecord, older).turns is None


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0.0, 9.0, [8.505]),  # one change inside
        (0.0, 30.0, [8.505, 14.75]),
        (9.0, 14.0, []),  # inside one turn
        (8.4, 9.0, []),  # the change sits within the margin of the line's start
    ],
)
def test_changes_inside_a_line(start: float, end: float, expected: list[float]) -> None:
    turns = SpeakerTurns("x", (SpeakerTurn(1.0, 8.505, 0), SpeakerTurn(8.505, 14.75, 1), SpeakerTurn(14.75, 20.1, 0)))
    assert turns.changes(start, end, margin=0.3) == expected


def _clip(audio: np.ndarray, start: float, end: float) -> AudioPCM:
    return AudioPCM(audio[round(start * 16_000) : round(end * 16_000)], start=start)


def test_a_live_rooms_turns_told_utterance_by_utterance_find_the_overlap_a_scan_finds(
    encoder: Ge2eEncoder, voices: dict[str, np.ndarray]
) -> None:
    audio, (begin, end) = overlapping(voices["host"], voices["cohost"])
    live = LiveTurns(encoder, threading.Lock())
    live.add(_clip(audio, 0.868, 5.1))  # the host alone: where watch's VAD cut this audio
    told = live.add(_clip(audio, 5.324, 12.5))  # the host's end under the co-host, then the co-host
    assert told.overlaps == _turns(encoder, audio).overlaps
    assert told.overlap_within(begin, end) >= 1.0
    host_turn = told.note(begin, end)
    assert host_turn is not None and host_turn.speaker == told.turns[0].speaker and host_turn.overlapped
    assert all(5.1 <= t.start or t.end <= 5.1 for t in told.turns), "a turn runs across the gap between utterances"
    assert [t.start for t in told.turns] == sorted(t.start for t in told.turns)


def test_a_live_rooms_voice_heard_alone_earlier_is_not_taken_for_two(
    encoder: Ge2eEncoder, voices: dict[str, np.ndarray]
) -> None:
    live = LiveTurns(encoder, threading.Lock())
    first = np.concatenate([silence(0.3), voices["host"], silence(0.3)])
    live.add(AudioPCM(first, start=2.0))
    second = np.concatenate([silence(0.3), voices["more"], silence(0.3)])
    told = live.add(AudioPCM(second, start=3.0 + len(first) / 16_000))
    assert told.speakers == 1 and told.overlaps == ()
