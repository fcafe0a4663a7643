"""Files made for one chat message (a course's registrants, the Đề án report): written
in a private temporary folder (0700, the files 0600) and deleted once the message
has been sent, or has failed (see ``Reply.temporary`` and :meth:`Delivery.reply`).
Nothing of them stays in /tmp."""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .channels import is_remote

log = logging.getLogger(__name__)

PREFIX = "nhanong-chat-"


def private_folder(what: str) -> Path:
    """A new folder only this user can enter (mkdtemp makes it 0700)."""
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{what}-"))


def seal(*paths: Path | str) -> None:
    """Readable by this user only (they are in a private folder already)."""
    for p in paths:
        Path(p).chmod(0o600)


def discard(paths: Iterable[str | Path | None]) -> None:
    """Delete these files, and their folder once it is empty if it is one of ours."""
    for p in paths:
        if not p or is_remote(str(p)):
            continue
        path = Path(p)
        try:
            path.unlink(missing_ok=True)
            if path.parent.name.startswith(PREFIX) and not any(path.parent.iterdir()):
                path.parent.rmdir()
        except OSError as e:
            log.warning("could not delete the chat file %s: %s", path, e)


def discard_ours(paths: Iterable[str | Path | None]) -> None:
    """Delete those of these files that were made for a chat message (they lie in one
    of our private folders); anything else (an editor's picture) is left alone.  The
    inbound journal sends stored messages and calls this after each send attempt."""
    discard(p for p in paths if p and Path(p).parent.name.startswith(PREFIX))


def discard_folder(folder: Path) -> None:
    """A private folder whose message will not be sent (it failed while being made)."""
    if folder.name.startswith(PREFIX):
        shutil.rmtree(folder, ignore_errors=True)
