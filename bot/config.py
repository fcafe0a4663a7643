"""Settings from the environment and an optional ``nhanong.toml``.

Every key of DESIGN.md is read here and validated once at start; a bad value
stops the program with the key's name and why.  Environment variables win over
the file.  Tokens are kept as secrets and never printed.  Each channel's keys
belong to its own settings model (``ChannelKind.settings`` in bot/channels),
read from the same keys: ``settings.channels[NAME]``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import ROOT
from . import channels as registry
from .channels import ChannelSettings, Flag, OptionalUrl

DEFAULT_CONTENT = ROOT.parent / "content"


class ConfigError(Exception):
    """A configuration value is wrong; the message names the key."""


def _address(value: str, key: str) -> tuple[str, str]:
    channel, sep, ident = value.strip().partition(":")
    known = registry.names()
    if not sep or channel not in known or not ident.strip():
        raise ValueError(f"{value!r} is not CHANNEL:ID (channel {', '.join(known)})")
    return channel, ident.strip()


def _channel_defaults() -> dict[str, ChannelSettings]:
    return {k.name: k.settings() for k in registry.kinds()}


class Settings(BaseModel):
    """Typed settings; field aliases are the configuration keys."""

    model_config = ConfigDict(populate_by_name=True, frozen=True, extra="ignore")

    db: Path = Field(Path("nhanong.db"), alias="NHANONG_DB")
    content: Path = Field(DEFAULT_CONTENT, alias="NHANONG_CONTENT")
    locale: str = Field("vi", alias="NHANONG_LOCALE")
    tz: str = Field("Asia/Ho_Chi_Minh", alias="NHANONG_TZ")
    org_name: str = Field("Hội Nông dân tỉnh Bắc Ninh", alias="NHANONG_ORG_NAME")
    province: str = Field("Bắc Ninh", alias="NHANONG_PROVINCE")
    admins: frozenset[tuple[str, str]] = Field(frozenset(), alias="NHANONG_ADMINS")
    staff_chat: tuple[str, str] | None = Field(None, alias="NHANONG_STAFF_CHAT")
    quiet_hours: tuple[time, time] | None = Field(
        (time(21, 0), time(6, 0)), alias="NHANONG_QUIET_HOURS"
    )
    approval: Flag = Field(False, alias="NHANONG_APPROVAL")
    # Course reminders: (days before the start day, local time), e.g. "3d 08:00, 1d 07:00, 0d 06:00"
    reminders: tuple[tuple[int, time], ...] = Field(
        ((3, time(8, 0)), (1, time(7, 0)), (0, time(6, 0))), alias="NHANONG_REMINDERS"
    )
    log_level: str = Field("INFO", alias="NHANONG_LOG_LEVEL")
    # On SIGTERM: seconds to finish the updates in hand before the rest wait for the next start.
    stop_grace: float = Field(10.0, alias="NHANONG_STOP_GRACE")
    # Hours a handled update (it holds what the person wrote) is kept in the inbound journal.
    journal_keep: float = Field(24.0, alias="NHANONG_JOURNAL_KEEP")
    # Days a finished broadcast keeps its delivery rows; then the daily retention job
    # keeps only its counts (what /thongke, `broadcast status` and reports show).
    deliveries_keep_days: int = Field(30, alias="NHANONG_DELIVERIES_KEEP_DAYS")
    # Days each opening of an article is kept; then a member's repeated openings of one
    # article become their first (the counts stay: /thongke reads them, not the rows).
    reads_keep_days: int = Field(90, alias="NHANONG_READS_KEEP_DAYS")
    # The web server that receives the channels' webhooks listens here.
    webhook_listen: tuple[str, int] = Field(("127.0.0.1", 8080), alias="NHANONG_WEBHOOK_LISTEN")
    # The address staff open in their browser for the web console (bot/web); the login
    # link /web sends starts with it.  Set: the console is served under /console/ by the
    # web server on NHANONG_WEBHOOK_LISTEN (started also when no channel has a webhook).
    public_url: OptionalUrl = Field(None, alias="NHANONG_PUBLIC_URL")
    # Hours a console session lasts after its login (then a new /web link is needed).
    console_session_hours: float = Field(8.0, alias="NHANONG_CONSOLE_SESSION_HOURS")
    # Each registered channel's own settings (bot/channels), by channel name.
    channels: dict[str, ChannelSettings] = Field(default_factory=_channel_defaults)

    @field_validator("locale")
    @classmethod
    def _locale(cls, v: str) -> str:
        v = v.strip().lower()
        if v not in {"vi", "en"}:
            raise ValueError(f"{v!r} is not a supported locale (vi, en)")
        return v

    @field_validator("tz")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v.strip())
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {v!r}") from e
        return v.strip()

    @field_validator("province")
    @classmethod
    def _province(cls, v: str) -> str:
        from .geo import find_province

        return find_province(v).name

    @field_validator("admins", mode="before")
    @classmethod
    def _admins(cls, v: Any) -> Any:
        if isinstance(v, str):
            return frozenset(_address(p, "NHANONG_ADMINS") for p in v.split(",") if p.strip())
        return v

    @field_validator("staff_chat", mode="before")
    @classmethod
    def _staff_chat(cls, v: Any) -> Any:
        if isinstance(v, str):
            return _address(v, "NHANONG_STAFF_CHAT") if v.strip() else None
        return v

    @field_validator("webhook_listen", mode="before")
    @classmethod
    def _listen(cls, v: Any) -> Any:
        if isinstance(v, str):
            host, sep, port = v.strip().rpartition(":")
            if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
                raise ValueError(f"{v!r} is not HOST:PORT")
            return (host or "0.0.0.0", int(port))
        return v

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _quiet(cls, v: Any) -> Any:
        if isinstance(v, str):
            if not v.strip():
                return None
            m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", v)
            if not m:
                raise ValueError(f"{v!r} is not HH:MM-HH:MM (or empty for none)")
            h1, m1, h2, m2 = map(int, m.groups())
            try:
                return (time(h1, m1), time(h2, m2))
            except ValueError as e:
                raise ValueError(f"{v!r} has a time that does not exist") from e
        return v

    @field_validator("reminders", mode="before")
    @classmethod
    def _reminders(cls, v: Any) -> Any:
        if not isinstance(v, str):
            return v
        out = []
        for part in [p.strip() for p in v.split(",") if p.strip()]:
            m = re.fullmatch(r"(\d{1,2})d\s+(\d{1,2}):(\d{2})", part)
            if not m:
                raise ValueError(f"{part!r} is not like 3d 08:00 (days before, local time)")
            days, hh, mm = map(int, m.groups())
            try:
                out.append((days, time(hh, mm)))
            except ValueError as e:
                raise ValueError(f"{part!r} has a time that does not exist") from e
        return tuple(sorted(set(out), reverse=True))

    @field_validator("stop_grace")
    @classmethod
    def _grace(cls, v: float) -> float:
        if not 0 <= v <= 600:
            raise ValueError("must be a number of seconds from 0 to 600")
        return v

    @field_validator("journal_keep")
    @classmethod
    def _keep(cls, v: float) -> float:
        if not 0 < v <= 24 * 90:
            raise ValueError("must be a number of hours above 0 (at most 2160, 90 days)")
        return v

    @field_validator("deliveries_keep_days", "reads_keep_days")
    @classmethod
    def _keep_days(cls, v: int) -> int:
        if not 1 <= v <= 3650:
            raise ValueError("must be a number of days from 1 to 3650")
        return v

    @field_validator("console_session_hours")
    @classmethod
    def _session_hours(cls, v: float) -> float:
        if not 0 < v <= 24 * 7:
            raise ValueError("must be a number of hours above 0 (at most 168, a week)")
        return v

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        v = v.strip().upper()
        if v not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError(f"{v!r} is not DEBUG, INFO, WARNING or ERROR")
        return v

    # -- derived ---------------------------------------------------------
    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def is_admin(self, channel: str, user_id: str) -> bool:
        return (channel, str(user_id)) in self.admins

    def needs_webserver(self) -> bool:
        """Whether a channel serves a webhook or the console is on (one web server serves them all)."""
        return bool(registry.webhooks(self.channels)) or self.console

    @property
    def console(self) -> bool:
        """Whether the staff web console is served (a public address is set)."""
        return bool(self.public_url)


def _keys(model: type[BaseModel]) -> set[str]:
    return {f.alias for f in model.model_fields.values() if f.alias}


def known_keys() -> set[str]:
    """Every configuration key: the core's and each registered channel's."""
    return _keys(Settings).union(*(_keys(k.settings) for k in registry.kinds()))


def load_settings(
    env: Mapping[str, str] | None = None, file: Path | None = None, **overrides: Any
) -> Settings:
    """Read settings: ``file`` (default ``$NHANONG_CONFIG`` or ./nhanong.toml), then env."""
    env = os.environ if env is None else env
    keys = known_keys()
    raw: dict[str, Any] = {}
    path = file or Path(env.get("NHANONG_CONFIG", "nhanong.toml"))
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{path}: cannot read: {e}") from e
        unknown = sorted(set(data) - keys)
        if unknown:
            raise ConfigError(f"{path}: unknown key {unknown[0]} (known: {', '.join(sorted(keys))})")
        raw.update({k: v if isinstance(v, str) else _from_toml(v) for k, v in data.items()})
    raw.update({k: v for k, v in env.items() if k in keys})
    raw.update(overrides)
    settings = _validate(Settings, raw)
    channels = {k.name: _validate(k.settings, raw) for k in registry.kinds()}
    seen: dict[str, str] = {}  # webhook path → its key: one server serves every webhook
    for key, url in registry.webhooks(channels).items():
        path = urlparse(url).path or "/"
        if path in seen:
            raise ConfigError(f"{key}: must have another path than {seen[path]} "
                              "(one server serves every webhook)")
        seen[path] = key
    return settings.model_copy(update={"channels": channels})


M = TypeVar("M", bound=BaseModel)


def _validate(model: type[M], raw: Mapping[str, Any]) -> M:
    """``model`` from the keys read; a bad value raises ConfigError naming its key."""
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        field = err["loc"][0] if err["loc"] else "?"
        f = model.model_fields.get(str(field))
        key = (f.alias if f else None) or field
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        raise ConfigError(f"{key}: {msg}" if err["loc"] else msg) from None  # a check of
        # several keys (a model validator) names them in its message


def _from_toml(v: Any) -> Any:
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, list):
        return ",".join(map(str, v))
    return v
