"""Spreadsheets in and out: exports written as XLSX (openpyxl) or CSV, sign-in
sheets read back from either.

Exports carry Vietnamese headers from the catalog, dates already formatted for
Vietnam and phone numbers as text (so Excel neither drops the leading 0 nor
shows 8.4E+10).  XLSX files also get an "About" sheet saying who exported what,
and when.

Writing is streamed: a :class:`Book` takes a sheet's headers, widths and picture
first, then its rows one by one (from a list, an iterator or an async iterator),
and never keeps them.  XLSX goes through openpyxl's write-only mode (each row
written to the sheet's temporary file as it comes, strings inline), CSV straight
to the file, so memory stays the same whatever the number of rows.  Several sheets
of one workbook may be filled at the same time (the answers of each check-in).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
from collections.abc import AsyncIterable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .i18n import N_, Problem

MAX_ROWS = 100_000


@dataclass(frozen=True, slots=True)
class Num:
    """A number cell with its Excel format ("#,##0", "0.0%"); CSV gets the bare value."""

    value: float
    fmt: str = "#,##0.##"


INTEGER, PERCENT = "#,##0", "0.0%"
TEXT = "@"  # text cells keep their form (phone numbers) when edited in Excel


@dataclass(slots=True)
class Sheet:
    """A sheet: its headers and look, and its rows — a list, or any iterable or async
    iterable of rows when the rows are streamed (read once, while writing)."""

    title: str
    headers: list[str]
    rows: Any = field(default_factory=list)  # list | Iterable[list] | AsyncIterable[list]
    widths: dict[int, int] = field(default_factory=dict)  # column index → width in characters
    image: Path | None = None  # a picture (PNG) placed to the right of the table (XLSX only)
    bold: set[int] = field(default_factory=set)  # indexes of rows (after the headers) in bold


def _plain(v: object) -> object:
    if isinstance(v, Num):
        v = v.value
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return "" if v is None else v


plain = _plain  # a cell as CSV writes it


class SheetError(Problem):
    """A file that cannot be read as a sheet; the message says why."""


Append = Callable[[list[object]], None]


class Book:
    """One file being written, sheet by sheet, row by row; atomic (``FILE.part``, then
    renamed) and readable by the bot's user only (0600): exports hold names and phones.

        with Book(path, "xlsx", about) as book:
            add = book.sheet(Sheet(title, headers, widths=...))
            for row in rows:
                add(row)

    CSV holds the first sheet only (the others' rows are dropped).  Leaving the
    ``with`` by an exception removes the partial file."""

    def __init__(self, path: Path, fmt: str, about: Iterable[tuple[str, str]] = ()) -> None:
        if fmt not in ("csv", "xlsx"):
            raise SheetError(N_("unknown format “{fmt}” (use xlsx or csv)"), fmt=fmt)
        self.path = Path(path)
        self.fmt = fmt
        self.about = list(about)
        self.partial = self.path.with_name(self.path.name + ".part")
        self.partial.unlink(missing_ok=True)
        os.close(os.open(self.partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        os.chmod(self.partial, 0o600)  # whatever the umask; writing below keeps the mode
        self._fh = None
        self._wb = None
        self._sheets = 0
        self._made: list[tuple[Any, int]] = []  # XLSX: each sheet made, and its columns
        self._parts: list[list[Path]] = [[]] if fmt == "csv" else []  # each sheet's rows
        # written elsewhere (CSV: of its one sheet)
        self._drops: list[Callable[[], None]] = []  # XLSX: remove a sheet's rows file
        if fmt == "csv":
            # UTF-8 with a BOM, so Excel on Windows shows Vietnamese letters right.
            self._fh = self.partial.open("w", newline="", encoding="utf-8-sig")
            self._csv = csv.writer(self._fh)
        else:
            from openpyxl import Workbook

            self._wb = Workbook(write_only=True)
            self._styles: dict[tuple[str | None, bool], int] = {}

    # -- sheets ---------------------------------------------------------------------------
    def sheet(self, sh: Sheet) -> Append:
        """Start a sheet (headers, widths, frozen header row, picture); returns the function
        that writes its next row."""
        self._sheets += 1
        if self._fh is not None:
            if self._sheets > 1:
                return _drop
            self._csv.writerow(sh.headers)
            writerow = self._csv.writerow
            return lambda row: writerow([_plain(v) for v in row])
        return self._xlsx_sheet(sh)

    def plain_rows(self, rows: Iterable[list[object]]) -> None:
        """CSV: more rows of the first sheet whose cells are plain already (:func:`plain`)."""
        self._csv.writerows(rows)

    def _style(self, ws, fmt: str | None, bold: bool) -> int:
        """The workbook's style number for a cell with this format and weight, made once
        (a style set cell by cell through openpyxl costs more than writing the cell)."""
        key = (fmt, bold)
        style = self._styles.get(key)
        if style is None:
            from openpyxl.cell import WriteOnlyCell
            from openpyxl.styles import Font

            cell = WriteOnlyCell(ws)
            if fmt is not None:
                cell.number_format = fmt
            if bold:
                cell.font = Font(bold=True)
            style = self._styles[key] = cell.style_id if cell.has_style else 0
        return style

    def _xlsx_sheet(self, sh: Sheet) -> Append:
        from openpyxl.utils import get_column_letter

        ws = self._wb.create_sheet(sh.title[:31])
        for i, header in enumerate(sh.headers, start=1):  # before the first row (write-only)
            width = sh.widths.get(i - 1) or min(40, max(10, len(header) + 2))
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A2"
        self._made.append((ws, len(sh.headers)))
        self._parts.append([])
        if sh.image is not None:
            self.picture(len(self._made) - 1, sh.image)
        write = _raw_rows(ws, self._drops, lambda fmt, bold: self._style(ws, fmt, bold),
                          self._parts[-1])
        write(sh.headers, True, self._style(ws, None, True))
        bold_rows = sh.bold
        count = [0]

        def append(row: list[object]) -> None:
            i = count[0]
            count[0] = i + 1
            write(row, i in bold_rows)

        return append

    @property
    def sheets(self) -> int:
        """Sheets made so far (the next sheet's number, counting from 0)."""
        return self._sheets

    def styles(self, keys: Iterable[tuple[str | None, bool]]) -> dict[tuple[str | None, bool], int]:
        """XLSX: the workbook's style numbers for these (format, bold), for rows written
        elsewhere with :func:`row_writer`."""
        ws = self._made[0][0]
        return {key: self._style(ws, *key) for key in keys}

    def rows_from(self, sheet: int, path: Path) -> None:
        """Rows of the ``sheet``-th sheet written elsewhere into ``path`` (XLSX: by
        :func:`row_writer`, numbered after the rows before them; CSV: lines as its
        writer writes them), to go after the rows given so far; the file is copied in
        at close and removed (also when the book is abandoned)."""
        self._parts[sheet].append(Path(path))

    def picture(self, sheet: int, png: Path) -> None:
        """Place a picture to the right of the table of the ``sheet``-th sheet (XLSX; at
        any time before the file is closed, which reads it)."""
        if self._wb is None:
            return
        from openpyxl.drawing.image import Image
        from openpyxl.utils import get_column_letter

        ws, columns = self._made[sheet]
        picture = Image(str(png))
        picture.width, picture.height = picture.width // 2, picture.height // 2
        ws.add_image(picture, f"{get_column_letter(columns + 2)}2")

    # -- the end ------------------------------------------------------------------------
    def close(self) -> Path:
        """Finish the file (the About sheet last) and put it in place."""
        if self._fh is not None:
            for part in self._parts[0]:
                with open(part, encoding="utf-8", newline="") as more:
                    shutil.copyfileobj(more, self._fh, 1 << 20)
                part.unlink(missing_ok=True)
            self._fh.close()
        else:
            if self.about:
                add = self._xlsx_about()
                for k, v in self.about:
                    add([k, v])
            _save(self._wb, self.partial)
        self.partial.replace(self.path)
        return self.path

    def _xlsx_about(self) -> Append:
        ws = self._wb.create_sheet("About")
        ws.column_dimensions["A"].width = 24
        ws.column_dimensions["B"].width = 60
        return ws.append

    def abort(self) -> None:
        if self._fh is not None:
            self._fh.close()
            for part in self._parts[0]:
                part.unlink(missing_ok=True)
        for drop in self._drops:  # the rows written so far (names, phones): gone now
            drop()
        self._wb = None
        self.partial.unlink(missing_ok=True)

    def __enter__(self) -> Book:
        return self

    def __exit__(self, kind, *_: object) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


def _save(wb, path: Path) -> None:
    """openpyxl's ``save_workbook`` with the fastest deflate: a large export's sheets are
    tens of megabytes of XML, three times quicker to pack for a file a third bigger."""
    import datetime as dt
    from zipfile import ZIP_DEFLATED, ZipFile

    from openpyxl.writer.excel import ExcelWriter

    if not wb.worksheets:
        wb.create_sheet()
    with ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=1) as archive:
        wb.properties.modified = dt.datetime.now(tz=dt.UTC).replace(tzinfo=None)
        ExcelWriter(wb, archive).save()


def _drop(row: list[object]) -> None:
    pass


_INF = float("inf")
_KEEP = '<t xml:space="preserve">'
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")  # escaped, or dropped (as openpyxl)
# What openpyxl drops from a cell's text (openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE), here
# so that a process writing rows need not import openpyxl (0.4 s and 28 MB).
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def _column_letter(n: int) -> str:
    """Excel's name of the ``n``-th column (1 → "A", 27 → "AA"), as openpyxl's."""
    out = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


_EMPTY_ROWS = re.compile(r"<sheetData\s*/>|<sheetData>\s*</sheetData>")


def row_writer(out: Callable[[str], Any], style_of: Callable[[str | None, bool], int],
               after: int = 0) -> Callable[..., None]:
    """A function that writes a row of a sheet as the XML of its ``<sheetData>`` to
    ``out`` (a file's ``write``), numbering rows from ``after + 1``: what openpyxl
    writes for the same cells, without an object per cell.  A :class:`Num` gets its
    format, a text the text format ("@"), a bold row bold (``style_of`` gives the
    workbook's style number for a format and weight); strings inline (no shared-string
    table in memory), numbers as openpyxl writes them (a float that is whole as an
    integer).  Used by :class:`Book` and by the processes that write a large sheet's
    rows in parts (:mod:`bot.report_parts`)."""
    from xml.sax.saxutils import escape

    letters: list[str] = []
    clean = _ILLEGAL.sub
    special = _SPECIAL.search  # most texts have nothing to escape: one look, no copies

    def fix(v: str) -> str:
        return escape(clean("", v))

    idx = [after]
    styles: dict[tuple[str | None, bool], str] = {}  # → ' s="N"' (or "" for none)

    def style(fmt: str | None, bold: bool) -> str:
        got = styles.get((fmt, bold))
        if got is None:
            n = style_of(fmt, bold)
            got = styles[(fmt, bold)] = f' s="{n}"' if n else ""
        return got

    def write(values: list[object], bold: bool = False, fixed: int | None = None) -> None:
        while len(letters) < len(values):
            letters.append(_column_letter(len(letters) + 1))
        idx[0] = r = idx[0] + 1
        parts = [f'<row r="{r}">']
        text = f' s="{fixed}"' if fixed else style(TEXT, bold)
        for col, v in zip(letters, values, strict=False):
            if v is None or v == "":
                continue
            if isinstance(v, str):
                if special(v):
                    v = fix(v)
                t = _KEEP if v[:1].isspace() or v[-1:].isspace() else "<t>"  # spaces kept
                parts.append(f'<c r="{col}{r}"{text} t="inlineStr"><is>{t}{v}</t></is></c>')
                continue
            if isinstance(v, Num):
                s, v = (f' s="{fixed}"' if fixed else style(v.fmt, bold)), v.value
            else:
                s = f' s="{fixed}"' if fixed else style(None, bold)
            if isinstance(v, bool):
                parts.append(f'<c r="{col}{r}"{s} t="b"><v>{int(v)}</v></c>')
            elif isinstance(v, int):
                parts.append(f'<c r="{col}{r}"{s}><v>{v}</v></c>')
            elif isinstance(v, float):  # as openpyxl writes it (16 digits; no NaN)
                if v.is_integer():
                    parts.append(f'<c r="{col}{r}"{s}><v>{int(v)}</v></c>')
                elif v == v and v not in (_INF, -_INF):
                    parts.append(f'<c r="{col}{r}"{s}><v>{v:.16g}</v></c>')
            elif v is not None:  # anything else as its text, styled as a number would be
                parts.append(f'<c r="{col}{r}"{s} t="inlineStr"><is>{_KEEP}{fix(str(v))}</t></is></c>')
        parts.append("</row>")
        out("".join(parts))

    return write


def _raw_rows(ws, drops: list[Callable[[], None]],
              style_of: Callable[[str | None, bool], int],
              parts: list[Path]) -> Callable[..., None]:
    """Rows for a write-only sheet, written as XML text (:func:`row_writer`) to a file
    of their own, and put into the sheet's XML when openpyxl writes it (with no rows)
    at save, followed by the rows of ``parts`` (files of rows written elsewhere, in
    order; removed once copied): openpyxl makes and writes an object per cell, which
    is most of a large export's time; this writes the same cells as text."""
    from openpyxl.worksheet._writer import ALL_TEMP_FILES, create_temporary_file

    rows_path = create_temporary_file(suffix=".rows")
    fh = open(rows_path, "w", encoding="utf-8")  # closed when the sheet is
    write = row_writer(fh.write, style_of)

    saved = ws.close

    def close() -> None:  # at save: openpyxl writes the sheet around no rows; ours go in
        fh.close()
        saved()
        shell = Path(ws._writer.out)
        head, tail = _split_empty(shell.read_text(encoding="utf-8"))
        full = create_temporary_file(suffix=".xml")
        with open(full, "w", encoding="utf-8") as out, open(rows_path, encoding="utf-8") as rows:
            out.write(head)
            out.write("<sheetData>")
            shutil.copyfileobj(rows, out, 1 << 20)
            for part in parts:
                with open(part, encoding="utf-8") as more:
                    shutil.copyfileobj(more, out, 1 << 20)
                Path(part).unlink(missing_ok=True)
            out.write("</sheetData>")
            out.write(tail)
        shell.unlink(missing_ok=True)
        if str(shell) in ALL_TEMP_FILES:
            ALL_TEMP_FILES.remove(str(shell))
        ws._writer.out = full
        Path(rows_path).unlink(missing_ok=True)
        if rows_path in ALL_TEMP_FILES:
            ALL_TEMP_FILES.remove(rows_path)

    def drop() -> None:
        fh.close()
        Path(rows_path).unlink(missing_ok=True)
        for part in parts:
            Path(part).unlink(missing_ok=True)

    ws.close = close
    drops.append(drop)
    return write


def _split_empty(xml: str) -> tuple[str, str]:
    """The sheet's XML before and after its (empty) rows."""
    m = _EMPTY_ROWS.search(xml)
    if m is None:  # openpyxl changed how it writes a sheet without rows
        raise RuntimeError("openpyxl wrote no empty <sheetData> to put the rows in")
    return xml[:m.start()], xml[m.end():]


def write(path: Path, sheets: Iterable[Sheet], fmt: str, about: list[tuple[str, str]] = ()) -> Path:
    """Write ``sheets`` (CSV: the first only) to ``path`` atomically, readable by
    the bot's user only (0600); each sheet's rows are read once, as they are written."""
    with Book(path, fmt, about) as book:
        for sh in sheets:
            add = book.sheet(sh)
            for row in sh.rows:
                add(row)
    return Path(path)


async def write_streamed(path: Path, sheets: Iterable[Sheet], fmt: str,
                         about: list[tuple[str, str]] = ()) -> Path:
    """:func:`write` for sheets whose rows may come from async iterators (read from the
    store a page at a time)."""
    with Book(path, fmt, about) as book:
        for sh in sheets:
            add = book.sheet(sh)
            if isinstance(sh.rows, AsyncIterable):
                async for row in sh.rows:
                    add(row)
            else:
                for row in sh.rows:
                    add(row)
    return Path(path)


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
