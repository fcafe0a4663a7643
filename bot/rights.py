"""Who may do what: whether a person is union staff or an admin, answered in one place.

Every check of a right asks :func:`rights_of` (the engine once per inbound, before
any handler runs; the answer travels on the context as ``ctx.rights``).  Today the
answer comes from ``NHANONG_ADMINS`` in the settings, which are read at start, so a
change there takes effect when the bot is restarted.  A role table in the store can
later be consulted here, behind the same function, without touching any caller.

Being a member of the staff chat gives no right: only who the person is counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import Settings
from .i18n import N_

STAFF_ONLY = N_("Sorry, this command is for union staff only.")


@dataclass(frozen=True, slots=True)
class Rights:
    """What one person may do."""

    staff: bool = False  # staff commands, buttons and flows
    admin: bool = False  # named in NHANONG_ADMINS

    def allows(self, staff_only: bool) -> bool:
        """Whether a handler registered with ``staff=staff_only`` may run for this person."""
        return self.staff or not staff_only


NOBODY = Rights()


async def rights_of(settings: Settings, channel: str, user_id: str) -> Rights:
    """The rights of the person with ``user_id`` on ``channel`` (a member has none)."""
    if settings.is_admin(channel, user_id):
        return Rights(staff=True, admin=True)
    return NOBODY
