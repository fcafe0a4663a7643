"""Check-in questionnaires (``content/checkins/*.yaml``), written by editors.

A questionnaire has an id, a title, an intro, an audience (a segment expression),
a schedule (months, a day such as ``first-mon`` or ``5``, a time), when to remind
and when to close, and questions.  A question has an id, a type (``choice``,
``multi``, ``yesno``, ``number``, ``text``, ``date``, ``photo``), its text,
options (for choices), ``min``/``max`` (numbers; ``max`` is the length for text),
``optional`` and a condition ``if: {question: value | [values] | ">0"}``.
Every problem is reported as ``file:line: what``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .source import Problems, check_fields, items, mapping_lines, parse_yaml, read_text

TYPES = ("choice", "multi", "yesno", "number", "text", "date", "photo")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SEGMENT_FIELDS = ("commune", "role", "topic", "lang", "channel", "joined_after", "course", "has_ocop")
_ID = re.compile(r"[a-z0-9_-]{1,32}")
_COMPARE = re.compile(r"(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    text: str
    options: tuple[tuple[str, str], ...] = ()  # (option id, label)
    min: float | None = None
    max: float | None = None
    optional: bool = False
    condition: tuple[tuple[str, tuple[str, ...]], ...] = ()  # all must hold
    line: int = 0

    def label(self, option: str) -> str:
        return dict(self.options).get(option, option)

    def applies(self, answers: dict[str, Any]) -> bool:
        """Does the condition hold for the answers given so far?"""
        return condition_holds(self.condition, answers)

    def spec(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "text": self.text, "options": list(self.options),
                "min": self.min, "max": self.max, "optional": self.optional,
                "if": [[q, list(v)] for q, v in self.condition]}


def condition_of(mapping: dict[Any, Any]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``{question: value | [values] | ">0"}`` as a condition (all must hold)."""
    return tuple((str(ref), tuple(_yaml_text(w) for w in (v if isinstance(v, list) else [v])))
                 for ref, v in mapping.items())


def condition_holds(condition: tuple[tuple[str, tuple[str, ...]], ...], answers: dict[str, Any]) -> bool:
    """Every (question, wanted values) holds for ``answers`` (a multi answer is a list)."""
    for qid, wanted in condition:
        got = answers.get(qid)
        if got is None:
            return False
        if not any(_matches(got, w) for w in wanted):
            return False
    return True


def _matches(got: Any, wanted: str) -> bool:
    m = _COMPARE.fullmatch(wanted)
    if m:
        try:
            x, y = float(got), float(m.group(2))
        except (TypeError, ValueError):
            return False
        return {">": x > y, "<": x < y, ">=": x >= y, "<=": x <= y}[m.group(1)]
    if isinstance(got, list):
        return wanted in got
    return str(got) == wanted


@dataclass(frozen=True)
class Checkin:
    id: str
    title: str
    intro: str
    audience: str  # segment expression
    months: tuple[int, ...]
    day: str  # "first-mon" … or a day of the month "1".."28"
    hour: int
    minute: int
    remind_after_days: int
    close_after_days: int
    questions: tuple[Question, ...]
    path: Path = field(default=Path("."), compare=False)
    line: int = 0

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)

    def definition(self) -> dict[str, Any]:
        """What the answers depend on, as stored with each version."""
        return {"id": self.id, "title": self.title, "questions": [q.spec() for q in self.questions]}

    @property
    def digest(self) -> str:
        text = json.dumps(self.definition(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _yaml_text(v: Any) -> str:
    """YAML reads yes/no as booleans; questionnaires mean the answers "yes"/"no"."""
    if v is True:
        return "yes"
    if v is False:
        return "no"
    return str(v)


def load_checkins(root: Path, problems: Problems) -> dict[str, Checkin]:
    folder = root / "checkins"
    out: dict[str, Checkin] = {}
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.yaml")):
        c = _load_one(path, problems)
        if c is None:
            continue
        if c.id in out:
            problems.add(path, c.line, f"duplicate check-in id '{c.id}'")
            continue
        out[c.id] = c
    return out


def _load_one(path: Path, problems: Problems) -> Checkin | None:
    text = read_text(path, problems)
    if text is None:
        return None
    value, node = parse_yaml(text, path, problems)
    if not isinstance(value, dict):
        problems.add(path, 1, "a check-in file is a mapping (id, title, audience, schedule, questions)")
        return None
    lines = mapping_lines(node)
    before = len(problems.items)
    check_fields(value, ("id", "title", "schedule", "questions"),
                 ("id", "title", "intro", "audience", "schedule", "remind_after_days",
                  "close_after_days", "questions"), path, 1, lines, problems)
    cid = value.get("id")
    if cid is not None and not (isinstance(cid, str) and _ID.fullmatch(cid)):
        problems.add(path, lines.get("id", 1), f"id {cid!r} must be short lowercase ASCII")
    sched = _schedule(value.get("schedule"), path, lines.get("schedule", 1), problems)
    days = {}
    for key, default in (("remind_after_days", 7), ("close_after_days", 28)):
        v = value.get(key, default)
        if not isinstance(v, int) or not 0 < v <= 90:
            problems.add(path, lines.get(key, 1), f"{key} must be a whole number of days from 1 to 90")
            v = default
        days[key] = v
    if days["remind_after_days"] >= days["close_after_days"]:
        problems.add(path, lines.get("remind_after_days", 1), "the reminder must come before closing")
    audience = str(value.get("audience") or "")
    for term in [t for t in audience.split(",") if t.strip()]:
        name = term.partition("=")[0].strip().lower()
        if name not in SEGMENT_FIELDS:
            problems.add(path, lines.get("audience", 1),
                         f"audience: unknown segment field '{name}' (known: {', '.join(SEGMENT_FIELDS)})")
    questions = _questions(value.get("questions"), node, path, problems)
    if len(problems.items) > before or sched is None or not questions:
        return None
    months, day, hour, minute = sched
    return Checkin(id=cid, title=str(value["title"]), intro=str(value.get("intro") or ""),
                   audience=str(value.get("audience") or ""), months=months, day=day, hour=hour,
                   minute=minute, remind_after_days=days["remind_after_days"],
                   close_after_days=days["close_after_days"], questions=tuple(questions),
                   path=path, line=1)


def _schedule(v: Any, path: Path, line: int, problems: Problems):
    if not isinstance(v, dict):
        if v is not None:
            problems.add(path, line, "schedule is a mapping: {months: [1, 4, 7, 10], day: first-mon, "
                                     "time: '08:00'}")
        return None
    months = v.get("months")
    if not (isinstance(months, list) and months and all(isinstance(m, int) and 1 <= m <= 12
                                                        for m in months)):
        problems.add(path, line, "schedule.months must be a list of months 1-12")
        return None
    day = str(v.get("day", "1")).strip().lower()
    if not (re.fullmatch(r"first-(mon|tue|wed|thu|fri|sat|sun)", day)
            or (day.isdigit() and 1 <= int(day) <= 28)):
        problems.add(path, line, f"schedule.day {day!r} must be like first-mon or a day 1-28")
        return None
    m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", str(v.get("time", "08:00")).strip())
    if not m:
        problems.add(path, line, f"schedule.time {v.get('time')!r} is not HH:MM")
        return None
    return tuple(sorted(set(months))), day, int(m.group(1)), int(m.group(2))


def _questions(value: Any, node, path: Path, problems: Problems) -> list[Question]:
    qnode = None
    if node is not None:
        for k, v in node.value:
            if getattr(k, "value", None) == "questions":
                qnode = v
    out: list[Question] = []
    seen: set[str] = set()
    for e in items(value, qnode):
        q = e.value
        if not isinstance(q, dict):
            problems.add(path, e.line, "each question is a mapping (id, type, text)")
            continue
        before = len(problems.items)
        check_fields(q, ("id", "type", "text"),
                     ("id", "type", "text", "options", "min", "max", "optional", "if"),
                     path, e.line, e.key_lines, problems)
        qid, kind = q.get("id"), q.get("type")
        at = e.key_lines.get
        if qid is not None and not (isinstance(qid, str) and _ID.fullmatch(qid)):
            problems.add(path, at("id", e.line), f"question id {qid!r} must be short lowercase ASCII")
        if qid in seen:
            problems.add(path, at("id", e.line), f"duplicate question id '{qid}'")
        if kind is not None and kind not in TYPES:
            problems.add(path, at("type", e.line), f"unknown type '{kind}' (known: {', '.join(TYPES)})")
        options: list[tuple[str, str]] = []
        if kind in ("choice", "multi"):
            raw = q.get("options")
            if not isinstance(raw, dict) or len(raw) < 2:
                problems.add(path, at("options", e.line), f"a {kind} question needs at least 2 options")
            else:
                options = [(_yaml_text(k), str(v)) for k, v in raw.items()]
        elif q.get("options") is not None:
            problems.add(path, at("options", e.line), f"a {kind} question has no options")
        lo, hi = q.get("min"), q.get("max")
        for key, v in (("min", lo), ("max", hi)):
            if v is not None and (not isinstance(v, int | float) or isinstance(v, bool)):
                problems.add(path, at(key, e.line), f"{key} must be a number")
        if isinstance(lo, int | float) and isinstance(hi, int | float) and lo > hi:
            problems.add(path, at("min", e.line), "min is larger than max")
        condition: list[tuple[str, tuple[str, ...]]] = []
        cond = q.get("if")
        if cond is not None:
            if not isinstance(cond, dict) or not cond:
                problems.add(path, at("if", e.line), "if is a mapping {question: value}")
            else:
                for ref, wanted in cond.items():
                    if ref not in seen:
                        problems.add(path, at("if", e.line),
                                     f"condition on '{ref}', which is not an earlier question")
                    condition += condition_of({ref: wanted})
        if len(problems.items) > before:
            continue
        seen.add(qid)
        out.append(Question(id=qid, type=kind, text=str(q["text"]).strip(), options=tuple(options),
                            min=lo, max=hi, optional=bool(q.get("optional", False)),
                            condition=tuple(condition), line=e.line))
    return out
