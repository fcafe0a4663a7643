"""Finding a member: by id or phone number exactly, else by a name (or organisation)
containing what was typed, compared without accents or case; optionally in one
commune.  Shared by ``python -m bot members find`` and the console's member search."""

from __future__ import annotations

import re

from .phone import parse_phone
from .store import Found, Store
from .text import fold


async def lookup(store: Store, text: str, *, commune_code: str | None = None, offset: int = 0,
                 limit: int = 500) -> list[Found]:
    """Members matching ``text`` (and in ``commune_code`` when given): an id or phone
    exactly, else a name containing it.  Empty ``text`` with a commune: its members."""
    compact = re.sub(r"[\s.\-()]", "", text)
    if re.fullmatch(r"\+?\d+", compact):
        phone = parse_phone(text)
        if phone:  # the phone index first; a platform's user id can look like a number too
            found = await store.people.search(phone=phone, commune_code=commune_code,
                                              offset=offset, limit=limit)
            if found:
                return found
        digits = compact.lstrip("+")
        found = [m for m in await store.people.by_ids(
            member_id=int(digits) if len(digits) < 10 else None, user_id=digits, phone=phone)
            if commune_code is None or m.commune_code == commune_code]
        if found or phone:
            return found[offset:offset + limit]
    want = fold(text)
    if not want and not commune_code:
        return []
    return await store.people.search(folded=want or None, commune_code=commune_code,
                                     offset=offset, limit=limit)
