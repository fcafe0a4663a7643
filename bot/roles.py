"""The roles a member can give in their profile (used later for segments)."""

from __future__ import annotations

from .i18n import N_

ROLES: dict[str, str] = {
    "farmer": N_("Farmer member"),
    "official": N_("Union official"),
    "coop": N_("Cooperative director or member"),
    "group": N_("Cooperative group (THT)"),
    "business": N_("Enterprise"),
    "other": N_("Other"),
}

# What people and staff type for a role, folded (no accents, lower case).
ALIASES: dict[str, str] = {
    "htx": "coop", "hop tac xa": "coop", "giam doc htx": "coop",
    "tht": "group", "to hop tac": "group",
    "can bo": "official", "can bo hoi": "official",
    "nong dan": "farmer", "hoi vien": "farmer",
    "doanh nghiep": "business", "dn": "business",
    "khac": "other",
}


def role_from_text(text: str) -> str | None:
    """A role key from its key, its label in either language, or a common short name."""
    from .i18n import translator
    from .text import fold

    typed = fold(text)
    vi = translator("vi")
    for key, label in ROLES.items():
        if typed in (key, fold(label), fold(vi.plain(label))):
            return key
    return ALIASES.get(typed)
