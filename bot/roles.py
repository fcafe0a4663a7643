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
