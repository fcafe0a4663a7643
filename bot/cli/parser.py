"""argparse in the operator's language: the CLI's own texts and argparse's ("usage:",
"show this help message and exit", "the following arguments are required") come
from the Babel catalogs, and a usage error is one line on stderr."""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

from ..i18n import N_, Translator

# argparse's own strings (Python 3.11-3.13), translated in the catalogs like ours.
ARGPARSE = (
    N_("usage: "), N_("positional arguments"), N_("options"),
    N_("show this help message and exit"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("expected one argument"), N_("expected at most one argument"),
    N_("expected at least one argument"), N_("expected %s argument"), N_("expected %s arguments"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"), N_("one of the arguments %s is required"),
    N_("ignored explicit argument %r"), N_("unexpected option string: %s"),
)

_t: Translator | None = None


def install(t: Translator) -> None:
    """Make argparse speak ``t``'s language (argparse looks ``_`` up at each call)."""
    global _t
    _t = t
    argparse._ = t.gettext  # type: ignore[attr-defined]
    argparse.ngettext = lambda one, many, n: t.gettext(one if n == 1 else many)  # type: ignore[attr-defined]


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one translated line with a pointer to --help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        t = _t
        line = (t.plain("{prog}: error: {message} (see {prog} --help)", prog=self.prog, message=message)
                if t else f"{self.prog}: error: {message}")
        print(line, file=sys.stderr)
        sys.exit(2)


def command(sub: Any, name: str, text: str, **kwargs: Any) -> Parser:
    """A subcommand whose help line in the list is also its page's description."""
    return sub.add_parser(name, help=text, description=text, **kwargs)


def whole(t: Translator, what: str):
    """An argparse type for an id: a whole number from 1, else a translated reason."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(t.plain("“{text}” is not {what} (a whole number from 1)",
                                                     text=text, what=what))
        return value

    return parse
