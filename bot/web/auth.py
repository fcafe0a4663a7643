"""Who is using the console: one-time login links, sessions, CSRF (issue #16).

A staff member types /web to the bot and gets a link that opens a session once,
within ten minutes.  Opening the link shows a page with one button; only pressing it
(a POST) uses the link, so a link previewer or a virus scanner that fetches the link
does not spend it.  The session is a random cookie (HttpOnly, SameSite=Lax, Secure
when the public address is HTTPS); the store keeps only hashes.  Every form and
every htmx request carries the session's CSRF token.  Rights are asked of
:func:`bot.rights.rights_of` on every request, so a person removed from
NHANONG_ADMINS loses the console at the next restart, whatever their cookie."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from ..config import Settings
from ..rights import Rights, rights_of
from ..store import Store, WebSession

LINK_MINUTES = 10
COOKIE = "nhanong_console"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def login_url(settings: Settings, token: str) -> str:
    assert settings.public_url
    return f"{settings.public_url.rstrip('/')}/console/login/{token}"


async def new_login(store: Store, settings: Settings, now, channel: str, user_id: str) -> str:
    """A new one-time login link for this person (the caller checked they are staff)."""
    token = secrets.token_urlsafe(32)
    await store.web.add_login(digest(token), channel, user_id, now,
                              now + timedelta(minutes=LINK_MINUTES))
    return login_url(settings, token)


@dataclass(frozen=True, slots=True)
class Staff:
    """The person behind a console request."""

    session: WebSession
    rights: Rights
    name: str  # their name as the bot knows it, else their address

    @property
    def actor(self) -> str:
        return self.session.actor

    @property
    def csrf(self) -> str:
        return self.session.csrf


async def open_session(store: Store, settings: Settings, now, channel: str,
                       user_id: str) -> tuple[str, WebSession]:
    """A new session: (the cookie's value, the session)."""
    sid = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    expires = now + timedelta(hours=settings.console_session_hours)
    await store.web.add_session(digest(sid), channel, user_id, csrf, now, expires)
    return sid, WebSession(channel, user_id, csrf, now, expires)


async def staff_of(store: Store, settings: Settings, now, cookie: str | None) -> Staff | None:
    """The staff member whose open session this cookie is, or None (no session, an
    ended or expired one, or a person who is no longer staff)."""
    if not cookie:
        return None
    session = await store.web.session(digest(cookie), now)
    if session is None:
        return None
    rights = await rights_of(settings, session.channel, session.user_id)
    if not rights.staff:
        return None
    member = await store.members.find(session.channel, session.user_id)
    name = (member.full_name or member.display_name or session.actor) if member else session.actor
    return Staff(session, rights, name)


def csrf_ok(staff: Staff, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(str(given).encode(), staff.csrf.encode())
