"""Spreadsheets in and out: exports written as XLSX (openpyxl) or CSV, sign-in
sheets read back from either.

Exports carry Vietnamese headers from the catalog, dates already formatted for
Vietnam and phone numbers as text (so Excel neither drops the leading 0 nor
shows 8.4E+10).  XLSX files also get an "About" sheet saying who exported what,
and when.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

from .i18n import N_, Problem

MAX_ROWS = 100_000


@dataclass(frozen=True, slots=True)
class Num:
    """A number cell with its Excel format ("#,##0", "0.0%"); CSV gets the bare value."""

    value: float
    fmt: str = "#,##0.##"


INTEGER, PERCENT = "#,##0", "0.0%"


@dataclass(slots=True)
class Sheet:
    title: str
    headers: list[str]
    rows: list[list[object]] = field(default_factory=list)
    widths: dict[int, int] = field(default_factory=dict)  # column index → width in characters
    image: Path | None = None  # a picture (PNG) placed to the right of the table (XLSX only)
    bold: set[int] = field(default_factory=set)  # indexes of rows (after the headers) in bold


def _plain(v: object) -> object:
    if isinstance(v, Num):
        v = v.value
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return "" if v is None else v


class SheetError(Problem):
    """A file that cannot be read as a sheet; the message says why."""


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


def read(path: Path) -> list[list[str]]:
    """The first sheet of a CSV or XLSX file as rows of text (empty rows dropped)."""
    path = Path(path)
    if not path.is_file():
        raise SheetError(N_("cannot read file {path}"), path=str(path))
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            rows = _read_csv(path)
        elif suffix in (".xlsx", ".xlsm"):
            rows = _read_xlsx(path)
        else:
            raise SheetError(N_("{path}: only .csv or .xlsx files can be imported"), path=str(path))
    except SheetError:
        raise
    except Exception as e:  # openpyxl and csv raise many kinds on a damaged file
        raise SheetError(N_("{path}: cannot be read as a spreadsheet ({why})"), path=str(path),
                         why=type(e).__name__) from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if len(rows) > MAX_ROWS:
        raise SheetError(N_("{path}: more than {n} rows"), path=str(path), n=MAX_ROWS)
    return rows


def _read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "cp1258", "latin-1"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t") if text.strip() else csv.excel
    return [[c.strip() for c in row] for row in csv.reader(text.splitlines(), dialect)]


def _read_xlsx(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        out = []
        for row in ws.iter_rows(values_only=True):
            out.append([_cell(v) for v in row])
        return out
    finally:
        wb.close()


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()
