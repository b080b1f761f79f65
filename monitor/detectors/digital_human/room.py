"""Room metadata supplied by the platform (``--room-meta FILE.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from monitor.errors import ConfigError, describe_validation_error

__all__ = ["RoomMeta", "load_room_meta"]

HostType = Literal["human", "digital_human", "unknown"]


class RoomMeta(BaseModel):
    """What the platform knows about the room, e.g. ``{"title": "...", "host_type": "digital_human",
    "vertical": "tea"}``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    room_id: str = ""
    title: str = ""
    host_type: HostType = Field("unknown", description="host type declared by the room operator")
    declared_label: str = Field("", description="label text the operator says it shows, if any")
    vertical: str = Field("", description="what the room sells (prompts/asr: cosmetics, 茶叶, ...): the ASR prompt")

    @property
    def declares_ai(self) -> bool:
        """The operator declared a digital-human host."""
        return self.host_type == "digital_human"


def load_room_meta(path: Path) -> RoomMeta:
    """Read and validate a room-metadata JSON file; every problem is a :class:`ConfigError`."""
    if not path.is_file():
        raise ConfigError(f"room metadata file not found: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"room metadata {path} is not valid JSON: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"room metadata {path} must be a JSON object")
    try:
        return RoomMeta.model_validate(data)
    except ValidationError as e:
        raise ConfigError(f"room metadata {path}: {describe_validation_error(e)}") from e
