"""The rows of the answer sheets: a check-in's responses as the cells of a report's or
an export's sheets (XLSX: a row per response, a column per question; CSV: a line per
answer), with each questionnaire version's labels and the person's columns worked out
once per export.

Its own module, importing little, because the processes that write a large report's
rows in parts (:mod:`bot.report_parts`) need exactly this and nothing of the rest of
:mod:`bot.reports` (indicators, content, charts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from .geo import Communes
from .i18n import Translator
from .phone import show_phone
from .roles import ROLES
from .sheets import Num, Sheet
from .sheets import plain as as_plain

if TYPE_CHECKING:
    from .store import Answered


def _answer(t: Translator, question: dict[str, Any] | None, value: Any,
            labels: dict[str, str] | None = None) -> object:
    kind = question["type"] if question else ""
    if labels is None:
        labels = dict(tuple(o) for o in question.get("options", [])) if question else {}
    if kind == "number" and isinstance(value, int | float):
        return Num(value)
    if kind == "multi" and isinstance(value, list):
        return "; ".join(labels.get(v, v) for v in value)
    if kind == "choice":
        return labels.get(value, value)
    if kind == "yesno":
        return t.plain("Yes") if value == "yes" else t.plain("No") if value == "no" else value
    if kind == "date":
        try:
            return t.date(date.fromisoformat(str(value)))
        except ValueError:
            return value
    if kind == "photo":
        return t.plain("(photo sent)")
    return value


def _shower(t: Translator, question: dict[str, Any] | None,
            labels: dict[str, str]) -> Callable[[Any], object]:
    """:func:`_answer` for one question, its kind decided once: the same cell for the
    same value (the tests compare both on every answer they export)."""
    kind = question["type"] if question else ""
    if kind == "number":
        return lambda v: Num(v) if isinstance(v, int | float) else v
    if kind == "multi":
        return lambda v: "; ".join(labels.get(x, x) for x in v) if isinstance(v, list) else v
    if kind == "choice":
        return lambda v: labels.get(v, v)
    if kind in ("yesno", "date", "photo"):
        seen: dict[Any, object] = {}  # few different values: each formatted once

        def once(v: Any) -> object:
            try:
                return seen[v]
            except KeyError:
                shown = seen[v] = _answer(t, question, v, labels)
                return shown
            except TypeError:  # not hashable (a list where a date was expected)
                return _answer(t, question, v, labels)

        return once
    return lambda v: v


def _questions(versions: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(question id, text) over every version, newest version's order and wording first."""
    out: dict[str, str] = {}
    for d in versions:
        for q in d.get("questions", []):
            out.setdefault(q["id"], q["text"])
    return list(out.items())


class Labels:
    """Per questionnaire version, its questions and their option labels, and the
    formatted forms of what many rows repeat (the person's columns, the time sent),
    worked out once per export rather than once per row."""

    def __init__(self, t: Translator, versions: dict[int, dict[str, Any]], communes: Communes) -> None:
        self.t = t
        self.communes = communes
        self.specs: dict[int, dict[str, tuple[dict[str, Any], dict[str, str]]]] = {
            vid: {q["id"]: (q, dict(tuple(o) for o in q.get("options", [])))
                  for q in d.get("questions", [])}
            for vid, d in versions.items()}
        self.roles = {k: t.plain(v) for k, v in ROLES.items()}
        self._communes: dict[str | None, str] = {}
        self.phone = Phones()
        self.when = _moments(t)

        self._shows: dict[tuple[int, str], Callable[[Any], object]] = {}
        self._orders: dict[int, dict[str, int]] = {}
        self._columns: dict[tuple[int, tuple[str, ...]], list[tuple[str, Callable[[Any], object]]]] = {}

    def spec(self, version_id: int) -> dict[str, tuple[dict[str, Any], dict[str, str]]]:
        return self.specs.get(version_id, {})

    def order(self, version_id: int) -> dict[str, int]:
        """Each question's place in this version (the CSV's order of a response's lines)."""
        got = self._orders.get(version_id)
        if got is None:
            got = self._orders[version_id] = {k: i for i, k in enumerate(self.spec(version_id))}
        return got

    def answer(self, version_id: int, qid: str, value: Any) -> object:
        return self.show(version_id, qid)(value)

    def show(self, version_id: int, qid: str) -> Callable[[Any], object]:
        """How an answer to this question of this version is shown (:func:`_answer`,
        its kind and labels looked up once)."""
        key = (version_id, qid)
        fn = self._shows.get(key)
        if fn is None:
            q, labels = self.spec(version_id).get(qid, (None, {}))
            fn = self._shows[key] = _shower(self.t, q, labels)
        return fn

    def columns(self, version_id: int,
                questions: tuple[str, ...]) -> list[tuple[str, Callable[[Any], object]]]:
        """For a sheet's question columns, each question and how this version's answer shows."""
        key = (version_id, questions)
        cols = self._columns.get(key)
        if cols is None:
            cols = self._columns[key] = [(q, self.show(version_id, q)) for q in questions]
        return cols

    def person(self, a: Answered) -> list[object]:
        commune = self._communes.get(a.commune_code)
        if commune is None:
            c = self.communes.get(a.commune_code)
            commune = self._communes[a.commune_code] = c.name if c else ""
        return [a.name or "", self.phone(a.phone) if a.phone else "", commune,
                self.roles.get(a.role, "") if a.role else "", a.organisation or ""]


class Phones:
    """:func:`show_phone` for many numbers: the shape of a number's written form (which
    digits, where the spaces go) depends on its first digits and its length, so it is
    worked out once per (first digits, length) and filled in for the others; each shape
    is checked against :func:`show_phone` on its first few numbers, and any mismatch
    sends that shape back to :func:`show_phone` for good."""

    CHECKS = 3

    def __init__(self) -> None:
        self._shapes: dict[tuple[str, int], tuple[str, int, int] | None] = {}

    def __call__(self, e164: str) -> str:
        key = (e164[:6], len(e164))
        shape = self._shapes.get(key, ())
        if shape is None:
            return show_phone(e164)
        if shape == ():
            shown = show_phone(e164)
            self._shapes[key] = self._shape(e164, shown)
            return shown
        text, k, checks = shape
        digits = [c for c in e164 if c.isdigit()][-k:] if k else []
        it = iter(digits)
        shown = "".join(next(it) if c == "\0" else c for c in text)
        if checks < self.CHECKS:
            real = show_phone(e164)
            self._shapes[key] = (text, k, checks + 1) if real == shown else None
            return real
        return shown

    @staticmethod
    def _shape(e164: str, shown: str) -> tuple[str, int, int] | None:
        """The written form with the number's last digits as slots (``\\0``)."""
        if "\0" in shown:
            return None
        have = [c for c in e164 if c.isdigit()]
        out = [c for c in shown if c.isdigit()]
        k = 0
        while k < min(len(have), len(out)) and have[-1 - k] == out[-1 - k]:
            k += 1
        slots, text = k, []
        for c in reversed(shown):
            if c.isdigit() and slots:
                text.append("\0")
                slots -= 1
            else:
                text.append(c)
        return "".join(reversed(text)), k, 0


def _moments(t: Translator) -> Callable[[datetime], str]:
    """``t.datetime`` for many moments: the Vietnamese form ("08:00 ngày 02/03/2026")
    written directly when it gives what Babel gives (checked on a few moments here),
    Babel otherwise."""
    zone = t.zone

    def fast(when: datetime) -> str:
        d = when.astimezone(zone)
        return f"{d.hour:02d}:{d.minute:02d} ngày {d.day:02d}/{d.month:02d}/{d.year}"

    probes = [datetime(2026, 12, 31, 16, 59, 59, tzinfo=UTC), datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
              datetime(2025, 6, 9, 23, 0, tzinfo=UTC)]
    return fast if all(fast(p) == t.datetime(p) for p in probes) else t.datetime


def _person_headers(t: Translator) -> list[str]:
    return [t.plain("Full name"), t.plain("Phone"), t.plain("Commune/ward"), t.plain("Role"),
            t.plain("Organisation")]


@dataclass(slots=True)
class AnswerSheet:
    """One check-in's sheet of a workbook: its columns, and the rows written so far."""

    sheet: Sheet
    questions: list[tuple[str, str]]
    written: int = 0
    ids: tuple[str, ...] = ()  # the questions' ids, in column order


def answer_sheets(t: Translator, answered: list[tuple[str, int, int]],
                  versions: dict[int, dict[str, Any]]) -> dict[str, AnswerSheet]:
    """One sheet per check-in (a row per response, a column per question over every
    version answered), from :meth:`Reporting.answered_versions`; rows come later."""
    out = {}
    for cid in sorted({c for c, _, _ in answered}):
        mine = sorted({v for c, v, _ in answered if c == cid}, reverse=True)
        questions = _questions([versions[v] for v in mine if v in versions])
        sheet = Sheet(f"{t.plain('Answers')} {cid}"[:31].strip(), [
            t.plain("No."), t.plain("Response no."), t.plain("Period"), t.plain("Sent at"),
            *_person_headers(t), *(text for _, text in questions)],
            widths={0: 6, 4: 24, 6: 22, 8: 24, **{9 + i: 30 for i in range(len(questions))}})
        out[cid] = AnswerSheet(sheet, questions, ids=tuple(q for q, _ in questions))
    return out


def answer_row(labels: Labels, sheet: AnswerSheet, a: Answered) -> list[object]:
    """A response as its check-in's sheet shows it (labels of the version answered)."""
    sheet.written += 1
    answers = a.answers
    return [sheet.written, a.id, a.period, labels.when(a.submitted_at), *labels.person(a),
            *(show(answers[q]) if q in answers else None
              for q, show in labels.columns(a.version_id, sheet.ids))]


def answers_long_sheet(t: Translator) -> Sheet:
    """Every answer on its own line (for CSV): check-in, response, person, question, answer."""
    return Sheet(t.plain("Answers"), [
        t.plain("Check-in"), t.plain("Period"), t.plain("Response no."), t.plain("Sent at"),
        *_person_headers(t), t.plain("Question"), t.plain("Answer")])


def answers_long_rows(labels: Labels, a: Answered, *, plain: bool = False) -> list[list[object]]:
    """A response's lines of the CSV, one per answer in its version's order (``plain``:
    cells as CSV writes them, the person's once for all the lines)."""
    spec = labels.spec(a.version_id)
    order = labels.order(a.version_id)
    head = [a.checkin_id, a.period, a.id, labels.when(a.submitted_at), *labels.person(a)]
    cell = as_plain if plain else _same_cell
    if plain:
        head = [as_plain(v) for v in head]
    out = []
    for qid in sorted(a.answers, key=lambda k: (order.get(k, len(spec)), k)):
        q = spec.get(qid, (None, {}))[0]
        out.append([*head, cell(q["text"] if q else qid), cell(labels.answer(a.version_id, qid,
                                                                            a.answers[qid]))])
    return out


def _same_cell(v: object) -> object:
    return v
