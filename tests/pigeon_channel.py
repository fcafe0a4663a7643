"""A channel that no platform has: registered by tests/test_registry.py (one module,
one line in bot.channels.MODULES) to show that the registry alone wires a channel."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from bot.channels import ChannelKind, ChannelSettings, OptionalUrl, Rate, Secret, Wiring
from tests.helpers import RecordingChannel


class PigeonSettings(ChannelSettings):
    token: Secret = Field(None, alias="PIGEON_TOKEN")
    rate: Rate = Field(3.0, alias="PIGEON_RATE")
    webhook_url: OptionalUrl = Field(None, alias="PIGEON_WEBHOOK_URL")

    webhook_fields = ("webhook_url",)


@dataclass
class PigeonChannel(RecordingChannel):
    name: str = "pigeon"
    wiring: Wiring | None = None
    settings: PigeonSettings | None = None


def build(s: PigeonSettings, w: Wiring) -> PigeonChannel | None:
    if s.token is None:
        return None
    return PigeonChannel(rate=s.rate, wiring=w, settings=s)


KIND = ChannelKind("pigeon", "Bồ câu", PigeonSettings, build, enabled_by="PIGEON_TOKEN")
