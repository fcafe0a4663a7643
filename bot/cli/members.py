"""``python -m bot members find TEXT``, ``members find --groups`` and ``members forget
MEMBER``: an operator finds a person (to set NHANONG_ADMINS, to answer a request) or
the staff group's chat id, and deletes a person's data when they ask.

Both show or remove personal data, so each run is audited with the operator's OS user
(``cli:<user>``) and the member ids, never the text searched for or the data itself.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime

from ..clock import Clock
from ..config import Settings
from ..geo import communes_of
from ..i18n import N_, Problem, Translator
from ..member_search import lookup
from ..phone import show_phone
from ..roles import ROLES
from ..store import FORGET_PLAN, Store
from ..text import fold
from . import actor, open_store
from .parser import command, whole

# What each table's line says before the operator confirms a forget.
PLAN_TEXT = {
    "members": N_("account (name, phone, organisation, platform ids; commune and role are kept "
                  "for the reports)"),
    "member_topics": N_("topics followed"),
    "dialog_state": N_("conversation in progress"),
    "member_links": N_("linked accounts"),
    "link_codes": N_("account linking codes"),
    "series_progress": N_("news series progress"),
    "questions": N_("questions asked and the staff's answers"),
    "registrations": N_("course registrations (kept for attendance counts; comments removed)"),
    "course_notices": N_("course reminders not yet sent"),
    "checkin_answers": N_("written check-in answers (numbers and choices are kept for the reports)"),
    "inbound": N_("messages kept in the inbound journal"),
    "actor": N_("places where the account is named as the staff member who acted"),
}
ACTIONS = {"delete": N_("delete"), "anonymise": N_("anonymise")}


def add_parsers(sub, t: Translator) -> None:
    members = command(sub, "members", t("find a member or a group chat; forget a member on "
                                        "request (both audited)"))
    msub = members.add_subparsers(dest="membercmd", required=True, metavar=t("COMMAND"))
    find = command(msub, "find", t("find a person by name, phone, a channel's user id or member "
                                   "id; prints ids, name, commune, role, last seen"))
    find.add_argument("text", nargs="*", metavar=t("TEXT"),
                      help=t("a name (with or without accents), a phone number (0912…, +84…), "
                             "a user id or a member id"))
    find.add_argument("--groups", action="store_true",
                      help=t("list the group chats the bot has received messages from recently "
                             "(to find the staff group's id for NHANONG_STAFF_CHAT)"))
    forget = command(msub, "forget", t("delete a member's personal data at their request"))
    forget.add_argument("member", type=whole(t, t("a member id")), metavar=t("MEMBER"),
                        help=t("the member id (see members find)"))
    forget.add_argument("--yes", action="store_true",
                        help=t("do it without asking (otherwise it shows what goes and asks)"))


async def run(settings: Settings, args: argparse.Namespace, t: Translator, clock: Clock) -> int:
    if args.membercmd == "find" and not args.groups and not " ".join(args.text).strip():
        raise Problem(N_("say what to look for: a name, a phone number or an id "
                         "(or --groups for the group chats)"))
    store = await open_store(settings)
    try:
        if args.membercmd == "find":
            if args.groups:
                return await _groups(store, t, clock)
            return await _find(store, settings, " ".join(args.text).strip(), t, clock)
        return await _forget(store, args.member, args.yes, t, clock)
    finally:
        await store.close()


async def _find(store: Store, settings: Settings, text: str, t: Translator, clock: Clock) -> int:
    communes = communes_of(settings.province)
    found = await lookup(store, text)
    await store.audit.record(actor(), "members.find", clock.now(), found=[m.id for m in found])
    if not found:
        print(t.plain("nobody found for “{text}”", text=text), file=sys.stderr)
        return 1
    print("\t".join(t.plain(h) for h in (N_("member"), N_("channel"), N_("user id"), N_("chat id"),
                                         N_("name"), N_("phone"), N_("commune"), N_("role"),
                                         N_("last seen"))))
    for m in found:
        commune = communes.get(m.commune_code)
        name = m.full_name or m.name or ""
        if m.full_name and m.name and fold(m.name) != fold(m.full_name):
            name = f"{m.full_name} ({m.name})"
        print("\t".join([
            str(m.id), m.channel, m.user_id, m.chat_id, name,
            show_phone(m.phone) if m.phone else "-", commune.name if commune else "-",
            t.plain(ROLES[m.role]) if m.role in ROLES else "-",
            t.datetime(m.last_seen_at) if m.last_seen_at else "-",
        ]))
    return 0


async def _groups(store: Store, t: Translator, clock: Clock) -> int:
    groups = await store.people.groups()
    await store.audit.record(actor(), "members.groups", clock.now(), found=len(groups))
    if not groups:
        print(t.plain("no group chat seen recently. Add the bot to the staff group, send any "
                      "message there while the bot runs, then run this again."), file=sys.stderr)
        return 1
    print("\t".join(t.plain(h) for h in (N_("channel"), N_("chat id"), N_("kind"), N_("title"),
                                         N_("last message"), N_("NHANONG_STAFF_CHAT"))))
    for g in groups:
        print("\t".join([g.channel, g.chat_id, g.kind, g.title or "-", t.datetime(g.last_seen_at),
                         f"{g.channel}:{g.chat_id}"]))
    return 0


async def _forget(store: Store, member_id: int, yes: bool, t: Translator, clock: Clock) -> int:
    accounts = await store.people.accounts(member_id)
    if not accounts or not any(a.id == member_id for a in accounts):
        raise Problem(N_("there is no member {id}"), id=member_id)
    if all(a.user_id.startswith("forgotten:") for a in accounts):
        raise Problem(N_("member {id} was already forgotten"), id=member_id)
    ids = [a.id for a in accounts]
    counts = await store.people.footprint(ids)
    print(t.plain("member {id}: {n} account(s): {accounts}", id=member_id, n=len(accounts),
                  accounts=", ".join(f"{a.id} ({a.channel} {a.full_name or a.name or a.user_id})"
                                     for a in accounts)))
    for table, action in FORGET_PLAN:
        if counts.get(table):
            print(f"  {t.plain(ACTIONS[action])}: {t.plain(PLAN_TEXT[table])} ({counts[table]})")
    if not yes:
        if not sys.stdin.isatty():
            raise Problem(N_("nothing deleted: add --yes to confirm (no terminal to ask in)"))
        answer = await asyncio.to_thread(input, t.plain("Delete this for good? Type “yes” to confirm: "))
        if fold(answer) not in ("yes", "y", "co", "dong y", fold(t.plain("yes"))):
            print(t.plain("nothing deleted"), file=sys.stderr)
            return 1
    now: datetime = clock.now()
    await store.people.forget(ids, now)
    await store.audit.record(actor(), "members.forget", now, members=ids)
    print(t.plain("member {id}: personal data deleted ({n} account(s)); the reports' counts "
                  "are unchanged", id=member_id, n=len(ids)))
    return 0
