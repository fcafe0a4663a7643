"""The console's areas, one module each, in the order of the menu.

Each module has ``AREA`` (its key, its title for the menu, its path) and
``routes(console, router)``, which adds its pages under that path.  A new area is
one new module here plus one line in ``MODULES``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Area:
    key: str
    title: str  # a msgid (N_), shown translated in the menu
    path: str  # under /console, e.g. "/overview"


from . import broadcasts, members, overview, questions, reports, training  # noqa: E402

MODULES = [overview, broadcasts, questions, training, reports, members]
AREAS = [m.AREA for m in MODULES]
