"""Fill catalog entries from a mapping file: ``python tools/translate.py vi MAP.py``.

MAP.py defines a dict named after the upper-cased locale (``VI = {msgid: text}``).
Only empty entries are filled; existing translations are kept.
"""

from __future__ import annotations

import runpy
import sys

from babel.messages.pofile import write_po
from catalog import load, po_path


def main(locale: str, mapping: str) -> None:
    table = runpy.run_path(mapping)[locale.upper()]
    cat = load(locale)
    filled = 0
    for m in cat:
        if m.id and not m.string and m.id in table and table[m.id]:
            m.string = table[m.id]
            filled += 1
    with po_path(locale).open("wb") as fh:
        write_po(fh, cat, width=100, sort_output=False)
    print(f"{locale}: filled {filled}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
