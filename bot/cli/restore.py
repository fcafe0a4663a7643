"""``python -m bot db restore BACKUP``: a checked backup put in place of the database.

The backup is checked first (SQLite header, ``integrity_check``, schema not newer
than this program); the bot must not be running on the database (``run`` holds a
shared lock on ``<db>.lock``; this takes it exclusively, without waiting); the
current database, with its -wal and -shm, is kept as ``<db>.before-restore-<time>``;
the backup is copied next to the database and renamed into place, so that the
database is at every moment either the old one or the whole backup.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from ..i18n import N_, Problem, Translator
from ..store.db import copy_database, inspect_copy
from . import Unusable, alone

WHY = {
    "unreadable": N_("{path}: not restored: cannot read the backup ({detail})"),
    "not-sqlite": N_("{path}: not restored: not an SQLite database"),
    "damaged": N_("{path}: not restored: the backup is damaged ({detail})"),
    "not-ours": N_("{path}: not restored: not a database of this bot"),
    "newer": N_("{path}: not restored: the backup is from a newer version of the bot (schema {detail})"),
}


def _check(backup: Path) -> None:
    problems = inspect_copy(backup)
    if problems:
        reason, detail = problems[0]
        raise Unusable(WHY[reason], path=str(backup), detail=detail)


def restore(db: Path, backup: Path, t: Translator, now: datetime) -> str:
    """Do it; returns the line that says what was done."""
    db, backup = Path(db), Path(backup)
    if not backup.is_file():
        raise Problem(N_("{path}: no such backup file"), path=str(backup))
    if db.exists() and backup.resolve() == db.resolve():
        raise Problem(N_("{path}: this is the database itself; give a backup file"), path=str(backup))
    _check(backup)
    with alone(db):
        stamp = now.astimezone(t.zone).strftime("%Y%m%d-%H%M%S")
        kept = db.with_name(f"{db.name}.before-restore-{stamp}")
        if kept.exists():
            raise Problem(N_("{path}: already exists; try again in a second"), path=str(kept))
        partial = db.with_name(f".{db.name}.restore-{stamp}.part")
        partial.unlink(missing_ok=True)
        try:
            copy_database(backup, partial)
            _check(partial)  # the copy as it will be used
            had = db.exists()
            if had:
                os.link(db, kept)  # the current database stays reachable at every moment
                for side in ("-wal", "-shm"):
                    old = Path(f"{db}{side}")
                    if old.exists():
                        old.rename(Path(f"{kept}{side}"))
            os.replace(partial, db)
            os.chmod(db, 0o600)
            _sync(db.parent)
        finally:
            partial.unlink(missing_ok=True)
    if had:
        return t.plain("{db}: restored from {backup}; the previous database is kept as {kept}",
                       db=str(db), backup=str(backup), kept=str(kept))
    return t.plain("{db}: restored from {backup} (there was no database before)",
                   db=str(db), backup=str(backup))


def _sync(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
