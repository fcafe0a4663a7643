"""Keep the Babel catalogs in step with the code.

    python tools/catalog.py          # add new msgids to every catalog, mark gone ones obsolete
    python tools/catalog.py --check  # exit 1 if a msgid lacks its Vietnamese translation

A msgid is the first string argument of ``t(…)``, ``….t(…)``, ``….plain(…)``
or ``N_(…)`` anywhere in ``bot/`` and ``handlers/``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "bot", ROOT / "handlers"]
LOCALES = ROOT / "bot" / "locales"
CALLS = {"t", "plain", "N_"}


def extract() -> dict[str, list[tuple[str, int]]]:
    """msgid → [(file, line)] for every translatable string in the code."""
    found: dict[str, list[tuple[str, int]]] = {}
    for folder in SOURCES:
        for path in sorted(folder.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
                arg = node.args[0]
                if name in CALLS and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    rel = str(path.relative_to(ROOT))
                    found.setdefault(arg.value, []).append((rel, node.lineno))
    return found


def po_path(locale: str) -> Path:
    return LOCALES / locale / "LC_MESSAGES" / "messages.po"


def load(locale: str) -> Catalog:
    path = po_path(locale)
    if path.exists():
        with path.open("rb") as fh:
            return read_po(fh, locale=locale)
    return Catalog(locale=locale, project="nhanong", fuzzy=False)


def update() -> None:
    ids = extract()
    for locale in ("vi", "en"):
        old = load(locale)
        new = Catalog(locale=locale, project="nhanong", version="0.1", fuzzy=False,
                      copyright_holder="Nhà Nông", msgid_bugs_address="")
        for msgid, where in ids.items():
            prev = old.get(msgid)
            new.add(msgid, prev.string if prev else "", locations=where,
                    flags=["python-format"] if "{" in msgid else [])
        path = po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, new, width=100, omit_header=False, sort_output=False)
        missing = sum(1 for m in new if m.id and not m.string)
        print(f"{locale}: {len(ids)} messages, {missing} untranslated")


def check() -> int:
    ids = extract()
    vi = load("vi")
    missing = [m for m in ids if not (vi.get(m) and vi.get(m).string)]
    for m in missing:
        print(f"missing Vietnamese translation: {m!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(check() if "--check" in sys.argv else update())
