"""Which ASR prompt a room gets: ``--vertical``, else its room metadata's ``vertical``, else ``default``."""

from __future__ import annotations

from monitor.config import ScanOptions
from monitor.detectors.digital_human import RoomMeta
from monitor.errors import ConfigError
from monitor.observations.asr import AsrEngine, PromptedAsr
from monitor.observations.asr_prompt import AsrPrompt, load_asr_prompts

__all__ = ["prompted", "room_options", "scan_prompt"]


def room_options(options: ScanOptions, room: RoomMeta | None) -> ScanOptions:
    """``options`` with the room's vertical filled in from its metadata when ``--vertical`` did not give one."""
    if options.vertical is not None or room is None or not room.vertical:
        return options
    try:
        vertical = load_asr_prompts().lookup(room.vertical)
    except ConfigError as e:
        raise ConfigError(f"room metadata {room.room_id or room.title!r}: {e}") from e
    return options.model_copy(update={"vertical": vertical})


def scan_prompt(options: ScanOptions) -> AsrPrompt:
    """The prompt of ``options.vertical`` (following its fallback)."""
    return load_asr_prompts().for_vertical(options.vertical)


def prompted(asr: AsrEngine, options: ScanOptions) -> AsrEngine:
    """``asr`` reading with the prompt of ``options.vertical`` (an engine that takes no prompt, as it is)."""
    return asr.with_prompt(scan_prompt(options)) if isinstance(asr, PromptedAsr) else asr
