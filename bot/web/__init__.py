"""The staff web console (issue #16), served under /console/ by the bot's web server
(``run``) or on its own (``python -m bot web``).  See :mod:`bot.web.app`."""

from __future__ import annotations

from .app import Console

__all__ = ["Console"]
