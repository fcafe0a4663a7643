"""The in-memory report and export as they were before they were streamed (openpyxl's
normal mode, a list of every response), kept as the reference that the streamed
files are compared with, cell by cell (tests/test_streamed.py).  Not used by the bot."""

from __future__ import annotations

import csv
import os
from datetime import date
from pathlib import Path
from typing import Any

from bot.geo import Communes
from bot.i18n import Translator
from bot.phone import show_phone
from bot.roles import ROLES
from bot.sheets import Num, Sheet, SheetError, _plain
from bot.store import Answered

N_ = str


def _answer(t: Translator, question: dict[str, Any] | None, value: Any) -> object:
    kind = question["type"] if question else ""
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


def _questions(versions: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(question id, text) over every version, newest version's order and wording first."""
    out: dict[str, str] = {}
    for d in versions:
        for q in d.get("questions", []):
            out.setdefault(q["id"], q["text"])
    return list(out.items())


def _person(t: Translator, a: Answered, communes: Communes) -> list[object]:
    c = communes.get(a.commune_code)
    return [a.name or "", show_phone(a.phone) if a.phone else "", c.name if c else "",
            t.plain(ROLES[a.role]) if a.role in ROLES else "", a.organisation or ""]


def _person_headers(t: Translator) -> list[str]:
    return [t.plain("Full name"), t.plain("Phone"), t.plain("Commune/ward"), t.plain("Role"),
            t.plain("Organisation")]


def answer_sheets(t: Translator, answered: list[Answered], versions: dict[int, dict[str, Any]],
                  communes: Communes) -> list[Sheet]:
    """One sheet per check-in, a row per response, a column per question."""
    sheets = []
    for cid in sorted({a.checkin_id for a in answered}):
        mine = [a for a in answered if a.checkin_id == cid]
        defs = [versions[v] for v in sorted({a.version_id for a in mine}, reverse=True) if v in versions]
        questions = _questions(defs)
        sheet = Sheet(f"{t.plain('Answers')} {cid}"[:31].strip(), [
            t.plain("No."), t.plain("Response no."), t.plain("Period"), t.plain("Sent at"),
            *_person_headers(t), *(text for _, text in questions)],
            widths={0: 6, 4: 24, 6: 22, 8: 24, **{9 + i: 30 for i in range(len(questions))}})
        for i, a in enumerate(mine, start=1):
            spec = {q["id"]: q for q in versions.get(a.version_id, {}).get("questions", [])}
            sheet.rows.append([i, a.id, a.period, t.datetime(a.submitted_at), *_person(t, a, communes),
                               *(_answer(t, spec.get(q), a.answers.get(q)) if q in a.answers else None
                                 for q, _ in questions)])
        sheets.append(sheet)
    return sheets


def answers_long(t: Translator, answered: list[Answered], versions: dict[int, dict[str, Any]],
                 communes: Communes) -> Sheet:
    """Every answer on its own line (for CSV): check-in, response, person, question, answer."""
    sheet = Sheet(t.plain("Answers"), [
        t.plain("Check-in"), t.plain("Period"), t.plain("Response no."), t.plain("Sent at"),
        *_person_headers(t), t.plain("Question"), t.plain("Answer")])
    for a in answered:
        spec = {q["id"]: q for q in versions.get(a.version_id, {}).get("questions", [])}
        for qid in sorted(a.answers, key=lambda k: (list(spec).index(k) if k in spec else len(spec), k)):
            q = spec.get(qid)
            sheet.rows.append([a.checkin_id, a.period, a.id, t.datetime(a.submitted_at),
                               *_person(t, a, communes), q["text"] if q else qid,
                               _answer(t, q, a.answers[qid])])
    return sheet



def write(path: Path, sheets: list[Sheet], fmt: str, about: list[tuple[str, str]] = ()) -> Path:
    """Write ``sheets`` (CSV: the first only) to ``path`` atomically, readable by
    the bot's user only (0600): exports hold names and phone numbers."""
    path = Path(path)
    partial = path.with_name(path.name + ".part")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    os.chmod(partial, 0o600)  # whatever the umask; writing below keeps the mode
    if fmt == "csv":
        # UTF-8 with a BOM, so Excel on Windows shows Vietnamese letters right.
        with partial.open("w", newline="", encoding="utf-8-sig") as fh:
            w = csv.writer(fh)
            w.writerow(sheets[0].headers)
            for row in sheets[0].rows:
                w.writerow([_plain(v) for v in row])
    elif fmt == "xlsx":
        _xlsx(partial, sheets, about)
    else:
        raise SheetError(N_("unknown format “{fmt}” (use xlsx or csv)"), fmt=fmt)
    partial.replace(path)
    return path


def _xlsx(path: Path, sheets: list[Sheet], about: list[tuple[str, str]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for sh in sheets:
        ws = wb.create_sheet(sh.title[:31])
        ws.append(sh.headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for i, row in enumerate(sh.rows):
            ws.append([_plain(v) for v in row])
            for col, v in enumerate(row, start=1):
                if isinstance(v, Num | str) or i in sh.bold:
                    cell = ws.cell(i + 2, col)  # (ws.max_row scans every cell: slow)
                    cell.number_format = v.fmt if isinstance(v, Num) else "@" if isinstance(v, str) \
                        else cell.number_format  # text: phone numbers keep their form
                    if i in sh.bold:
                        cell.font = bold
        for i, header in enumerate(sh.headers, start=1):
            width = sh.widths.get(i - 1) or min(40, max(10, len(header) + 2))
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A2"
        if sh.image is not None:
            from openpyxl.drawing.image import Image

            picture = Image(str(sh.image))
            picture.width, picture.height = picture.width // 2, picture.height // 2
            ws.add_image(picture, f"{get_column_letter(len(sh.headers) + 2)}2")
    if about:
        ws = wb.create_sheet("About")
        for k, v in about:
            ws.append([k, v])
        ws.column_dimensions["A"].width = 24
        ws.column_dimensions["B"].width = 60
    wb.save(path)


