"""The topic list (``content/topics.yaml``): ids members choose and articles carry."""

from __future__ import annotations

import re
from pathlib import Path

from .source import Problems, items, parse_yaml, read_text

TopicLabels = dict[str, dict[str, str]]  # id → {"vi": label, "en": label}


def load_topics(root: Path, problems: Problems) -> TopicLabels:
    path = root / "topics.yaml"
    text = read_text(path, problems)
    if text is None:
        return {}
    value, node = parse_yaml(text, path, problems)
    entries = items(value, node)
    if not entries and value is not None:
        problems.add(path, 1, "must be a list of topics (id, vi, en)")
    topics: TopicLabels = {}
    for e in entries:
        item = e.value
        if not isinstance(item, dict):
            problems.add(path, e.line, "each topic is a mapping with id, vi, en")
            continue
        tid = item.get("id")
        line = e.key_lines.get("id", e.line)
        if not isinstance(tid, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,15}", tid):
            problems.add(path, line, f"id must be short lowercase ASCII, got {tid!r}")
            continue
        if tid in topics:
            problems.add(path, line, f"duplicate topic id {tid!r}")
        vi = item.get("vi")
        if not isinstance(vi, str) or not vi.strip():
            problems.add(path, e.key_lines.get("vi", e.line), f"topic {tid!r} needs a Vietnamese label (vi)")
            continue
        en = item.get("en")
        topics[tid] = {"vi": vi.strip(), "en": (en if isinstance(en, str) and en.strip() else vi).strip()}
    if not topics and not problems:
        problems.add(path, 1, "no topics defined")
    return topics
