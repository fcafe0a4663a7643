"""Reports and exports built in a child process, so that the bot's event loop keeps
answering farmers and the memory a large report takes is returned when it ends.

The bot (``/xuat``, the reporting calendar) calls :func:`build_report_apart` or
:func:`export_checkins_apart`; they start ``python -m bot.report_worker``, hand it
the job as one JSON object on its standard input — the database file, the content
folder, the province, the language and zone, what to build, who asks, and the
instant "now" of the bot's clock (the child has no clock of its own) — and await
it without blocking.  The child opens the SQLite file read-only on a connection of
its own (:class:`bot.store.snapshot.Snapshot`), streams the files
(:func:`bot.reports.build_report`), prints one JSON object and exits.  The parent
records the audit entry (the child cannot write).

A :class:`~bot.i18n.Problem` in the child comes back as the same Problem (its
msgid and values), so the person sees the catalog's message in their language;
anything else is logged with the child's error output and raised as
:class:`WorkerFailed`, which the bot answers with its usual apology.

The command line builds in its own process (``python -m bot report``): it already
is a process that exits when done, so it streams in-process (bounded memory) and
pays no second start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .i18n import Problem, Translator

log = logging.getLogger(__name__)

# The command that runs a job (tests put a gate before it to hold a build half-way).
WORKER: tuple[str, ...] = (sys.executable, "-m", "bot.report_worker")


class WorkerFailed(RuntimeError):
    """The child ended without building the files (its error output is in the log)."""


@dataclass(frozen=True, slots=True)
class Where:
    """What the child needs to find the data: the bot's settings, in short."""

    db: Path
    content: Path
    province: str

    @classmethod
    def of(cls, settings: Any) -> Where:
        return cls(Path(settings.db), Path(settings.content), settings.province)


async def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Run one job in a child process; its answer, or Problem / WorkerFailed."""
    proc = await asyncio.create_subprocess_exec(
        *WORKER, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await proc.communicate(json.dumps(job).encode())
    except BaseException:  # cancelled (the bot stops): the child goes too
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        with contextlib.suppress(Exception):
            await proc.wait()
        raise
    answer: dict[str, Any] | None = None
    if proc.returncode == 0:
        with contextlib.suppress(ValueError):
            answer = json.loads(out.decode() or "null")
    if not isinstance(answer, dict):
        tail = err.decode(errors="replace").strip().splitlines()
        log.error("report worker (%s) exited with %s:\n%s", job.get("kind"), proc.returncode,
                  "\n".join(tail[-40:]))
        raise WorkerFailed(f"report worker exited with {proc.returncode}"
                           + (f": {tail[-1][:200]}" if tail else ""))
    if "problem" in answer:
        p = answer["problem"]
        raise Problem(p["msgid"], **p.get("values", {}))
    return answer


def _job(kind: str, where: Where, t: Translator, out: Path, by: str, now: datetime,
         **what: Any) -> dict[str, Any]:
    return {"kind": kind, "db": str(where.db), "content": str(where.content),
            "province": where.province, "locale": t.locale, "tz": t.zone.key, "out": str(out),
            "by": by, "now": now.isoformat(), **what}


async def build_report_apart(store: Any, where: Where, period: Any, out: Path, t: Translator, *,
                             by: str, now: datetime) -> Any:
    """:func:`bot.reports.build_report` in a child process; the audit entry written here."""
    from .indicators import parse_period
    from .reports import Built

    got = await run_job(_job("report", where, t, out, by, now, period=period.label))
    built = Built(Path(got["xlsx"]), Path(got["png"]), parse_period(got["period"]), got["summary"],
                  got["answers"])
    await store.audit.record(by, "report.build", now, period=period.label, file=str(built.xlsx),
                             answers=built.answers)
    return built


async def export_checkins_apart(store: Any, where: Where, since: date, until: date, out: Path,
                                t: Translator, *, by: str, now: datetime) -> int:
    """:func:`bot.reports.export_checkins` in a child process; the audit entry written here."""
    got = await run_job(_job("checkins", where, t, out, by, now, since=since.isoformat(),
                             until=until.isoformat()))
    n = int(got["responses"])
    await store.audit.record(by, "export.checkins", now, since=since.isoformat(),
                             until=until.isoformat(), rows=n, format=Path(out).suffix.lstrip(".").lower())
    return n


# -- the child ------------------------------------------------------------------------------
async def _work(job: dict[str, Any]) -> dict[str, Any]:
    if job["kind"] == "rows":  # one run of a large sheet's rows (bot.report_parts)
        from .report_parts import write_rows

        return await write_rows(job)
    from .content import load_library
    from .geo import communes_of
    from .i18n import translator
    from .indicators import parse_period
    from .reports import build_report, export_checkins
    from .store.snapshot import Snapshot

    t = translator(job["locale"], job["tz"])
    now = datetime.fromisoformat(job["now"])
    library = load_library(Path(job["content"]))
    communes = communes_of(job["province"])
    store = await Snapshot.open(job["db"])
    try:
        if job["kind"] == "report":
            built = await build_report(store, library, communes, parse_period(job["period"]),
                                       Path(job["out"]), t, by=job["by"], now=now, audit=False)
            return {"xlsx": str(built.xlsx), "png": str(built.png), "period": built.period.label,
                    "summary": built.summary, "answers": built.answers}
        if job["kind"] == "checkins":
            n = await export_checkins(store, library, communes, date.fromisoformat(job["since"]),
                                      date.fromisoformat(job["until"]), Path(job["out"]), t,
                                      by=job["by"], now=now, audit=False)
            return {"responses": n}
        raise ValueError(f"unknown job {job['kind']!r}")
    finally:
        await store.close()


def main() -> int:
    job = json.loads(sys.stdin.read())
    try:
        answer = asyncio.run(_work(job))
    except Problem as p:
        answer = {"problem": {"msgid": p.msgid, "values": p.values}}
    sys.stdout.buffer.write(json.dumps(answer, default=str).encode())
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
