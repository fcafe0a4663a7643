"""The union's targets (``content/targets.yaml``): programmes (the 2022-2025 Đề án,
a later 2026-2030 one …), each with indicators tied to a named computation.

    programmes:
      - id: de-an-2022-2025
        title: …
        from: 2022-05-22
        until: 2025-12-31
        indicators:
          - id: ocop_3_stars
            title: Sản phẩm OCOP đạt 3 sao trở lên
            short: OCOP 3 sao trở lên
            kind: latest_count
            params: {checkin: ocop-quy, where: {stars: ["3", "4", "5"]}}
            target: 40

A new period is one more programme in the file, not code.  The kinds and their
parameters are listed in :data:`KINDS`; ``bot/indicators.py`` computes each.
Every problem is reported as ``file:line: what``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .checkins import Checkin, condition_of
from .source import Problems, check_fields, items, mapping_lines, parse_yaml, read_text

# kind → (required params, optional params)
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # % of the province's communes where a member (of these roles) answered
    # ``question`` above ``above`` in a response submitted within the period.
    "units_reporting": (("checkin", "question"), ("above", "roles")),
    # % of members with these roles who attended a course ending before the period end.
    "trained_share": (("roles",), ()),
    # members whose latest submitted response (as of the period end) meets ``where``.
    "latest_count": (("checkin", "where"), ()),
    # sum of a number question over responses submitted within the period.
    "window_sum": (("checkin", "question"), ()),
}
UNITS = ("percent", "count")
_ID = re.compile(r"[a-z0-9_-]{1,40}")


@dataclass(frozen=True)
class Indicator:
    id: str
    title: str
    short: str  # sheet names and chart labels (at most 31 characters)
    kind: str
    params: dict[str, Any] = field(hash=False)
    target: float | None  # None: reported for information, no target
    unit: str  # "percent" or "count"
    note: str = ""
    line: int = 0
    params_line: int = 0

    @property
    def condition(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """``where`` as a check-in condition (for ``latest_count``)."""
        return condition_of(self.params.get("where") or {})


@dataclass(frozen=True)
class Programme:
    id: str
    title: str
    basis: str
    starts: date
    ends: date
    indicators: tuple[Indicator, ...]
    path: Path = field(default=Path("."), compare=False)
    line: int = 0


@dataclass(frozen=True)
class Targets:
    programmes: tuple[Programme, ...] = ()

    def for_period(self, start: date, end: date) -> Programme | None:
        """The programme covering a period: the one it overlaps most recently begun,
        else (a period after every programme) the latest one begun before it ends."""
        begun = [p for p in self.programmes if p.starts < end]
        if not begun:
            return None
        covering = [p for p in begun if p.ends >= start]
        return max(covering or begun, key=lambda p: p.starts)


def load_targets(root: Path, problems: Problems) -> Targets:
    path = root / "targets.yaml"
    if not path.exists():
        return Targets()
    text = read_text(path, problems)
    if text is None:
        return Targets()
    value, node = parse_yaml(text, path, problems)
    if not isinstance(value, dict):
        problems.add(path, 1, "targets.yaml is a mapping with a list 'programmes'")
        return Targets()
    check_fields(value, ("programmes",), ("programmes",), path, 1, mapping_lines(node), problems)
    seq = _child(node, "programmes")
    entries = items(value.get("programmes"), seq)
    found = [(e, _programme(e, n, path, problems))
             for e, n in zip(entries, seq.value if entries else [], strict=True)]
    return Targets(tuple(_unique(found, "programme", path, problems)))


def _unique(found: list, what: str, path: Path, problems: Problems) -> list:
    """The loaded items (None: not loaded) with a duplicate id reported and dropped."""
    out: list = []
    for e, item in found:
        if item is None:
            continue
        if any(o.id == item.id for o in out):
            problems.add(path, e.key_lines.get("id", e.line), f"duplicate {what} id '{item.id}'")
            continue
        out.append(item)
    return out


def _child(node, key: str):
    for k, v in getattr(node, "value", None) or []:
        if getattr(k, "value", None) == key:
            return v
    return None


def _date(v: Any, path: Path, line: int, what: str, problems: Problems) -> date | None:
    try:
        return date.fromisoformat(str(v))
    except ValueError:
        problems.add(path, line, f"{what} {v!r} is not a date YYYY-MM-DD")
        return None


def _entry(e, required: tuple[str, ...], known: tuple[str, ...], what: str, path: Path,
           problems: Problems) -> dict | None:
    """A list entry's mapping with its fields and id checked; None when it is no mapping."""
    v = e.value
    if not isinstance(v, dict):
        problems.add(path, e.line, f"each {what} is a mapping ({', '.join(required)})")
        return None
    check_fields(v, required, known, path, e.line, e.key_lines, problems)
    eid = v.get("id")
    if eid is not None and not (isinstance(eid, str) and _ID.fullmatch(eid)):
        problems.add(path, e.key_lines.get("id", e.line), f"id {eid!r} must be short lowercase ASCII")
    return v


def _programme(e, node, path: Path, problems: Problems) -> Programme | None:
    before = len(problems.items)
    p = _entry(e, ("id", "title", "from", "until", "indicators"),
               ("id", "title", "basis", "from", "until", "indicators"), "programme", path, problems)
    if p is None:
        return None
    at = e.key_lines.get
    pid = p.get("id")
    starts = _date(p.get("from"), path, at("from", e.line), "from", problems) if p.get("from") else None
    ends = _date(p.get("until"), path, at("until", e.line), "until", problems) if p.get("until") else None
    if starts and ends and ends < starts:
        problems.add(path, at("until", e.line), "until is before from")
    indicators = _unique([(ie, _indicator(ie, path, problems))
                          for ie in items(p.get("indicators"), _child(node, "indicators"))],
                         "indicator", path, problems)
    if len(problems.items) > before or starts is None or ends is None:
        return None
    return Programme(id=pid, title=str(p["title"]).strip(), basis=str(p.get("basis") or "").strip(),
                     starts=starts, ends=ends, indicators=tuple(indicators), path=path, line=e.line)


def _indicator(e, path: Path, problems: Problems) -> Indicator | None:
    before = len(problems.items)
    v = _entry(e, ("id", "title", "short", "kind", "params"),
               ("id", "title", "short", "kind", "params", "target", "unit", "note"), "indicator", path,
               problems)
    if v is None:
        return None
    at = e.key_lines.get
    iid, kind, params = v.get("id"), v.get("kind"), v.get("params")
    short = str(v.get("short") or "")
    if len(short) > 31 or any(c in short for c in "[]:*?/\\"):
        problems.add(path, at("short", e.line), "short must be at most 31 characters, without []:*?/\\")
    if kind is not None and kind not in KINDS:
        problems.add(path, at("kind", e.line), f"unknown kind '{kind}' (known: {', '.join(KINDS)})")
    elif kind is not None:
        if not isinstance(params, dict):
            problems.add(path, at("params", e.line), "params is a mapping")
        else:
            required, optional = KINDS[kind]
            for key in required:
                if params.get(key) in (None, "", [], {}):
                    problems.add(path, at("params", e.line), f"{kind} needs the parameter '{key}'")
            for key in params:
                if key not in required + optional:
                    problems.add(path, at("params", e.line), f"{kind} has no parameter '{key}' "
                                 f"(known: {', '.join(required + optional)})")
            roles = params.get("roles")
            if roles is not None and not (isinstance(roles, list) and all(isinstance(r, str) for r in roles)):
                problems.add(path, at("params", e.line), "roles is a list such as [coop, group]")
            if "where" in params and not isinstance(params["where"], dict):
                problems.add(path, at("params", e.line), "where is a mapping {question: value}")
            above = params.get("above", 0)
            if not isinstance(above, int | float) or isinstance(above, bool):
                problems.add(path, at("params", e.line), "above must be a number")
    target = v.get("target")
    if target is not None and (not isinstance(target, int | float) or isinstance(target, bool)
                               or target <= 0):
        problems.add(path, at("target", e.line), "target must be a positive number (or left out)")
    unit = v.get("unit") or ("percent" if kind in ("units_reporting", "trained_share") else "count")
    if unit not in UNITS:
        problems.add(path, at("unit", e.line), f"unit must be one of {', '.join(UNITS)}")
    if len(problems.items) > before:
        return None
    return Indicator(id=iid, title=str(v["title"]).strip(), short=short, kind=kind, params=dict(params),
                     target=float(target) if target is not None else None, unit=unit,
                     note=str(v.get("note") or "").strip(), line=e.line,
                     params_line=at("params", e.line))


def check_references(targets: Targets, checkins: dict[str, Checkin], problems: Problems) -> None:
    """Every check-in and question an indicator reads must exist (with the right type)."""
    for prog in targets.programmes:
        for ind in prog.indicators:
            cid = ind.params.get("checkin")
            if cid is None:
                continue
            c = checkins.get(cid)
            if c is None:
                problems.add(prog.path, ind.params_line,
                             f"indicator '{ind.id}': check-in '{cid}' does not exist")
                continue
            wanted = [ind.params["question"]] if "question" in ind.params else list(ind.params["where"])
            for qid in wanted:
                q = c.question(str(qid))
                if q is None:
                    problems.add(prog.path, ind.params_line,
                                 f"indicator '{ind.id}': check-in '{cid}' has no question '{qid}'")
                elif "question" in ind.params and q.type != "number":
                    problems.add(prog.path, ind.params_line,
                                 f"indicator '{ind.id}': question '{qid}' is not a number question")
            for qid, wanted in ind.condition:
                q = c.question(qid)
                known = {"yesno": ("yes", "no")}.get(q.type if q else "", tuple(o for o, _ in q.options)
                                                      if q else ())
                for w in wanted:
                    if known and w not in known:
                        problems.add(prog.path, ind.params_line, f"indicator '{ind.id}': '{w}' is not an "
                                     f"answer to '{qid}' (known: {', '.join(known)})")
