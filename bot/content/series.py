"""Content series (``content/series.yaml``): articles pushed one at a time on a
rhythm to the members interested in a topic."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .source import Problems, check_fields, items, parse_yaml, read_text

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CADENCE = re.compile(r"(daily|mon|tue|wed|thu|fri|sat|sun)\s+([01]?\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True)
class Series:
    id: str
    title: str
    topic: str
    segment: str  # who gets it (default: members interested in the topic)
    day: str  # "daily" or a weekday
    hour: int
    minute: int
    articles: tuple[str, ...]
    path: Path
    line: int
    articles_line: int


def load_series(root: Path, topics: set[str], problems: Problems) -> dict[str, Series]:
    path = root / "series.yaml"
    if not path.exists():
        return {}
    text = read_text(path, problems)
    if text is None:
        return {}
    value, node = parse_yaml(text, path, problems)
    out: dict[str, Series] = {}
    for e in items(value, node):
        item = e.value
        if not isinstance(item, dict):
            problems.add(path, e.line, "each series is a mapping (id, title, topic, cadence, articles)")
            continue
        before = len(problems.items)
        check_fields(item, ("id", "title", "topic", "cadence", "articles"),
                     ("id", "title", "topic", "cadence", "articles", "segment"),
                     path, e.line, e.key_lines, problems)
        sid, topic = item.get("id"), item.get("topic")
        if sid is not None and (not isinstance(sid, str) or not re.fullmatch(r"[a-z0-9-]{1,32}", sid)):
            problems.add(path, e.key_lines.get("id", e.line), f"id {sid!r} must be short lowercase ASCII")
        if sid in out:
            problems.add(path, e.key_lines.get("id", e.line), f"duplicate series id '{sid}'")
        if topic is not None and topic not in topics:
            problems.add(path, e.key_lines.get("topic", e.line), f"unknown topic '{topic}'")
        m = _CADENCE.fullmatch(str(item.get("cadence", "")).strip().lower())
        if item.get("cadence") is not None and not m:
            problems.add(path, e.key_lines.get("cadence", e.line),
                         f"cadence {item.get('cadence')!r} is not like 'mon 07:00' or 'daily 18:30'")
        arts = item.get("articles")
        if arts is not None and (not isinstance(arts, list) or not all(isinstance(a, str) for a in arts)):
            problems.add(path, e.key_lines.get("articles", e.line), "articles must be a list of article ids")
        if len(problems.items) > before or not m:
            continue
        out[sid] = Series(
            id=sid, title=str(item["title"]), topic=topic,
            segment=str(item.get("segment") or f"topic={topic}"), day=m.group(1),
            hour=int(m.group(2)), minute=int(m.group(3)), articles=tuple(arts), path=path,
            line=e.line, articles_line=e.key_lines.get("articles", e.line),
        )
    return out
