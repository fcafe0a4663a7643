"""Content that editors change without touching code (``content/``).

The foundation reads the topic list; articles, FAQ, courses and surveys are
added by their own issues and validated the same way.  Problems are reported
as ``file:line: what is wrong``.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml


class ContentError(Exception):
    """One or more content files are wrong; ``problems`` lists them all."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _line(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 1


def load_topics(root: Path) -> dict[str, dict[str, str]]:
    """topics.yaml → {id: {"vi": label, "en": label}}; raises ContentError."""
    path = root / "topics.yaml"
    problems: list[str] = []
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as e:
        raise ContentError([f"{path}:1: cannot read: {e}"]) from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise ContentError([f"{path}:{mark.line + 1 if mark else 1}: not valid YAML: {e}"]) from e
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        raise ContentError([f"{path}:1: must be a list of topics"])
    topics: dict[str, dict[str, str]] = {}
    for item, item_node in zip(data, node.value, strict=True):
        line = _line(item_node)
        if not isinstance(item, dict):
            problems.append(f"{path}:{line}: each topic is a mapping with id, vi, en")
            continue
        tid = item.get("id")
        if not isinstance(tid, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,15}", tid):
            problems.append(f"{path}:{line}: id must be short lowercase ASCII, got {tid!r}")
            continue
        if tid in topics:
            problems.append(f"{path}:{line}: duplicate topic id {tid!r}")
        vi = item.get("vi")
        if not isinstance(vi, str) or not vi.strip():
            problems.append(f"{path}:{line}: topic {tid!r} needs a Vietnamese label (vi)")
            continue
        en = item.get("en")
        topics[tid] = {"vi": vi.strip(), "en": (en or vi).strip()}
    if problems:
        raise ContentError(problems)
    if not topics:
        raise ContentError([f"{path}:1: no topics defined"])
    return topics


def check(root: Path) -> list[str]:
    """Every problem in the content folder (empty when all is well)."""
    problems: list[str] = []
    if not root.is_dir():
        return [f"{root}:1: content folder not found"]
    try:
        load_topics(root)
    except ContentError as e:
        problems.extend(e.problems)
    return problems
