"""The answer rows of a large report or export written by several processes at once.

Most of a year report's time is Python turning each response into the cells of its
row (a province's year: about 90,000 responses, a million cells).  From
:data:`PARALLEL_MIN` responses on, :func:`write_in_parts` cuts the period's
responses, in the order the rows go (submitted_at, id), into one run per core
(:meth:`bot.store.reporting.Reporting.cuts`), counts per check-in the rows above each
run, writes the first run itself and starts one ``python -m bot.report_worker`` for
each other run (a ``rows`` job, see :func:`rows_job`).  Each opens the database
read-only, streams its run a page at a time and writes its rows, numbered where they
go, to files of its own (0600: they hold names and phones) with the same code the
workbook uses (:func:`bot.sheets.row_writer`, :func:`bot.answer_rows.answer_row`); the
workbook copies those files in order into each sheet when it is saved.  The parent
computes the indicators meanwhile, so its run is shorter (:data:`OWN_SHARE`); a
child needs no openpyxl (0.4 s and 28 MB less for each).

If the rows of a run are not the ones counted (a response submitted or reopened while
the runs were written), the parts are dropped and the rows are written again in this
process, so that a sheet never has two rows with one number.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from .geo import Communes
from .i18n import Translator
from .sheets import TEXT, Book, Num, row_writer

# Responses from which the rows are written in parts (below it, one process is quicker).
PARALLEL_MIN = 20_000
# The first run's length, written in this process, against each child's (1).
OWN_SHARE = 0.6
# The cells of an answer row and the styles they take (none is bold).
ROW_STYLES = ((TEXT, False), (None, False), (Num(0).fmt, False))


def workers() -> int:
    """Processes that write rows at once (this one and its children): one per core, at
    most four."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


def _private_file(suffix: str) -> Path:
    fd, name = tempfile.mkstemp(prefix="nhanong-", suffix=suffix)  # 0600
    os.close(fd)
    return Path(name)


async def write_in_parts(store: Any, book: Book, t: Translator, communes: Communes,
                         since: datetime, until: datetime, *, total: int,
                         sheets: dict[str, tuple[int, tuple[str, ...]]],
                         versions: list[int]) -> int | None:
    """The rows of the responses submitted in [since, until) written by child processes:
    XLSX, into the sheets ``sheets`` names (check-in → (the sheet's number in ``book``,
    its question ids in column order)); CSV, into the book's one sheet.  Returns the
    responses written, or None when they were not written in parts (too few, one core,
    or the responses changed meanwhile): the caller writes them itself then."""
    k = workers()
    if total < PARALLEL_MIN or k < 2:
        return None
    # This process writes the first run beside the indicators it computes meanwhile: a
    # shorter run than each child's, so that all end at about the same time.
    cuts = await store.reporting.cuts(since, until, [OWN_SHARE] + [1.0] * (k - 1))
    if not cuts:
        return None
    bounds = list(zip([None, *cuts], [*cuts, None], strict=True))
    above = [{}] + [await store.reporting.before(since, until, key) for key in cuts]
    styles = book.styles(ROW_STYLES) if book.fmt == "xlsx" else {}
    files: list[dict[str, Path]] = []
    jobs = []
    for (start, stop), rows_above in zip(bounds, above, strict=True):
        mine = ({cid: _private_file(".rows") for cid in sheets} if book.fmt == "xlsx"
                else {"": _private_file(".csv")})
        files.append(mine)
        jobs.append(rows_job(store.db.path, t, communes.province.name, since, until, start, stop, {
            cid: {"file": str(path), "above": rows_above.get(cid, 0),
                  "ids": list(sheets[cid][1]) if cid in sheets else []}
            for cid, path in mine.items()}, styles, versions, book.fmt))
    from .report_worker import run_job

    try:
        async with asyncio.TaskGroup() as group:
            runs = [group.create_task(write_rows(jobs[0]))]  # here, beside the children
            runs += [group.create_task(run_job(job)) for job in jobs[1:]]
        got = [r.result()["rows"] for r in runs]
    except BaseException:
        _remove(files)
        raise
    # Each run's rows per check-in must be the ones counted above the next run.
    seen: dict[str, int] = {}
    for i, rows in enumerate(got):
        for cid, n in rows.items():
            seen[cid] = seen.get(cid, 0) + n
        if i + 1 < len(above) and book.fmt == "xlsx" and any(
                seen.get(cid, 0) != above[i + 1].get(cid, 0) for cid in {*seen, *above[i + 1]}):
            _remove(files)
            return None
    for mine in files:
        for cid, path in mine.items():
            book.rows_from(sheets[cid][0] if book.fmt == "xlsx" else 0, path)
    return sum(sum(rows.values()) for rows in got) if book.fmt == "xlsx" else sum(
        r["responses"] for r in (x.result() for x in runs))


def _remove(files: list[dict[str, Path]]) -> None:
    for mine in files:
        for path in mine.values():
            path.unlink(missing_ok=True)


def _open_all(files: contextlib.ExitStack, sheets: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {cid: files.enter_context(open(spec["file"], "w", encoding="utf-8", newline=""))
            for cid, spec in sheets.items()}


def rows_job(db: Path, t: Translator, province: str, since: datetime, until: datetime,
             start: Any, stop: Any, sheets: dict[str, dict[str, Any]],
             styles: dict[tuple[str | None, bool], int], versions: list[int],
             fmt: str) -> dict[str, Any]:
    """The job of one child (``kind`` ``rows``), as JSON."""
    return {"kind": "rows", "db": str(db), "locale": t.locale, "tz": t.zone.key,
            "province": province, "since": since.isoformat(), "until": until.isoformat(),
            "start": start, "stop": stop, "sheets": sheets, "fmt": fmt, "versions": versions,
            "styles": [[f, b, n] for (f, b), n in styles.items()]}


async def write_rows(job: dict[str, Any]) -> dict[str, Any]:
    """In the child: stream one run of responses and write its rows to the job's files;
    how many rows went to each (XLSX: per check-in), and the responses.  (The building
    process runs its own run here too, on connections of its own.)"""
    from .answer_rows import AnswerSheet, Labels, answer_row, answers_long_rows
    from .geo import communes_of
    from .i18n import translator
    from .sheets import Sheet
    from .store.snapshot import Snapshot

    t = translator(job["locale"], job["tz"])
    communes = communes_of(job["province"])
    styles = {(f, bool(b)): int(n) for f, b, n in job["styles"]}

    def style_of(f: str | None, bold: bool) -> int:
        return styles[(f, bold)]  # KeyError: a cell the parent did not expect (a bug)

    start = tuple(job["start"]) if job["start"] else None
    stop = tuple(job["stop"]) if job["stop"] else None
    store = await Snapshot.open(job["db"])
    with contextlib.ExitStack() as files:
        try:
            labels = Labels(t, await store.reporting.versions(set(job["versions"])), communes)
            outs = _open_all(files, job["sheets"])
            rows = dict.fromkeys(outs, 0)
            responses = 0
            stream = store.reporting.stream(since=datetime.fromisoformat(job["since"]),
                                            until=datetime.fromisoformat(job["until"]),
                                            start=start, stop=stop)
            if job["fmt"] == "csv":
                writerows = csv.writer(outs[""]).writerows
                async for batch in stream:
                    writerows(row for a in batch for row in answers_long_rows(labels, a, plain=True))
                    responses += len(batch)
                    rows[""] += len(batch)
                return {"rows": rows, "responses": responses}
            heads = {cid: AnswerSheet(Sheet(cid, []), [], written=spec["above"],
                                      ids=tuple(spec["ids"]))
                     for cid, spec in job["sheets"].items()}
            writers = {cid: row_writer(outs[cid].write, style_of, after=1 + spec["above"])
                       for cid, spec in job["sheets"].items()}  # row 1: the headers
            async for batch in stream:
                for a in batch:
                    cid = a.checkin_id
                    rows[cid] = rows.get(cid, 0) + 1  # one the parent has no sheet for: it
                    if cid in writers:                # sees the count differ, writes again
                        writers[cid](answer_row(labels, heads[cid], a))
                responses += len(batch)
            return {"rows": rows, "responses": responses}
        finally:
            await store.close()
