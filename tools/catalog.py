"""Keep the Babel catalogs in step with the code.

    python tools/catalog.py          # add new msgids to every catalog, mark gone ones obsolete
    python tools/catalog.py --check  # exit 1 if a msgid lacks its Vietnamese translation
    python tools/catalog.py --fill vi.json  # set Vietnamese translations (msgid → text)

A msgid is the first string argument of ``t(…)``, ``….t(…)``, ``….plain(…)``
or ``N_(…)`` anywhere in ``bot/`` and ``handlers/``, and of ``_("…")`` in the
console's templates (``bot/web/templates``).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "bot", ROOT / "handlers"]
LOCALES = ROOT / "bot" / "locales"
CALLS = {"t", "plain", "N_"}
TEMPLATES = ROOT / "bot" / "web" / "templates"
# _("…") or _('…') in a template (no quote of the same kind inside).
TEMPLATE_CALL = re.compile(r"""\b_\(\s*(?:"([^"]*)"|'([^']*)')""")


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
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for m in TEMPLATE_CALL.finditer(text):
            msgid = m.group(1) if m.group(1) is not None else m.group(2)
            line = text.count("\n", 0, m.start()) + 1
            found.setdefault(msgid, []).append((str(path.relative_to(ROOT)), line))
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


def fill(path: str) -> int:
    """Set the Vietnamese translations given as a JSON object (msgid → translation)."""
    import json

    given = json.loads(Path(path).read_text(encoding="utf-8"))
    cat = load("vi")
    unknown = [m for m in given if cat.get(m) is None]
    for msgid, text in given.items():
        if cat.get(msgid) is not None:
            cat.get(msgid).string = text
    with po_path("vi").open("wb") as fh:
        write_po(fh, cat, width=100, omit_header=False, sort_output=False)
    for m in unknown:
        print(f"not in the catalog (run tools/catalog.py first): {m!r}")
    return 1 if unknown else 0


if __name__ == "__main__":
    if "--fill" in sys.argv:
        sys.exit(fill(sys.argv[sys.argv.index("--fill") + 1]))
    sys.exit(check() if "--check" in sys.argv else update())
