"""Pieces every command of ``python -m bot …`` shares: the operator's actor name, the
checks on output files and on the database path, and the lock that ``run`` holds.

One rule for every command: bad input is a :class:`~bot.i18n.Problem` (translated,
one line on stderr, exit 2); :func:`bot.__main__.main` is the only place that prints it.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import os
from collections.abc import Iterator
from pathlib import Path

from ..config import Settings
from ..i18n import N_, Problem
from ..store import Store

FORMATS = {".xlsx": "xlsx", ".csv": "csv"}


class Unusable(Problem):
    """The database (or a backup) cannot be used as it is: exit 1, like a damaged one."""

    exit_code = 1


def actor() -> str:
    """Who runs the command, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a container)
        return f"cli:uid{os.getuid()}"


def new_file(path: Path) -> None:
    """A file the command is about to write: its folder must exist, the file must not."""
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise Problem(N_("{path}: the folder does not exist"), path=str(folder))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise Problem(N_("{path}: cannot write in this folder"), path=str(folder))
    if path.exists() or path.is_symlink():
        raise Problem(N_("{path}: already exists; choose a new file"), path=str(path))


def export_format(path: Path, given: str | None = None, kinds: dict[str, str] = FORMATS) -> str:
    """The format an export is written in, from the file's extension; ``given``
    (``--format``) must agree with it."""
    fmt = kinds.get(Path(path).suffix.lower())
    if fmt is None:
        raise Problem(N_("{path}: export to an .xlsx or .csv file"), path=str(path))
    if given and given != fmt:
        raise Problem(N_("--format {given} does not match the file name {path}; "
                         "the extension chooses the format"), given=given, path=str(path))
    new_file(path)
    return fmt


def drop_partial(*paths: Path) -> None:
    """Remove what an interrupted write left (``FILE.part``)."""
    for p in paths:
        with contextlib.suppress(OSError):
            Path(p).with_name(Path(p).name + ".part").unlink()


def require_database(settings: Settings) -> None:
    """Only ``db migrate`` and ``run`` create the database: a mistyped NHANONG_DB
    must not become a new, empty one."""
    path = Path(settings.db)
    if not path.exists():
        raise Unusable(N_("{path}: no database there; check NHANONG_DB "
                         "(python -m bot db migrate creates a new one)"), path=str(path))
    if not path.is_file():
        raise Unusable(N_("{path}: not a file; check NHANONG_DB"), path=str(path))


async def open_store(settings: Settings, *, check: bool = True) -> Store:
    """The store for a command; ``check=False`` skips the page-by-page check at open
    (for the commands that only read: a damaged page they touch stops them with
    SQLite's error, and the bot's start checks every page)."""
    require_database(settings)
    return await Store(settings.db).open(check=check)


def lock_path(db: Path) -> Path:
    return Path(f"{db}.lock")


def _lock_file(db: Path) -> int:
    path = lock_path(db)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    return fd


@contextlib.contextmanager
def running(db: Path) -> Iterator[None]:
    """Held by ``run`` while it serves: a shared lock on ``<db>.lock`` (several bots may
    share a database; ``db restore`` needs it free)."""
    try:
        Path(db).parent.mkdir(parents=True, exist_ok=True)
        fd = _lock_file(db)
    except OSError as e:
        raise Unusable(N_("{path}: cannot create the lock file ({reason}); the bot needs write "
                          "access to the database's folder"), path=str(lock_path(db)),
                       reason=e.strerror or str(e)) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def alone(db: Path) -> Iterator[None]:
    """The exclusive lock ``db restore`` takes; a Problem when a bot is running."""
    if not Path(db).parent.is_dir():
        raise Problem(N_("{path}: the folder does not exist"), path=str(Path(db).parent))
    fd = _lock_file(db)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Unusable(N_("{path}: the bot is running on this database; stop it first "
                             "(sudo systemctl stop nhanong)"), path=str(db)) from None
        yield
    finally:
        os.close(fd)
