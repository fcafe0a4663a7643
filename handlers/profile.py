"""The member profile: the short onboarding questions after /start and /hoso.

Four questions, each skippable: commune or ward (matched against the official
list whatever the typing), role, phone number (shared or typed, stored in
E.164) and topics of interest.  /hoso shows the whole profile (full name and
organisation too) with a button to change each field.  The flow is the table
``FLOW`` (bot.flows); commune, role, phone, name and organisation are the
shared steps that training sign-up asks too.  The step lives in the dialog
state, so a restart in the middle resumes at the same question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.engine import Context
from bot.flows import END, LEFT, STAY, CallbackData, Flow, Invalid, Step, fits
from bot.flows.common import (
    choice,
    commune_step,
    name_step,
    organisation_step,
    phone_step,
    role_step,
    skip_button,
    skip_hint,
)
from bot.i18n import N_, md_escape, translator
from bot.phone import show_phone
from bot.roles import ROLES
from bot.router import Router
from bot.text import fold
from bot.types import Button

from . import link

NAME = "profile"
ONBOARDING = ("commune", "role", "phone", "topics")  # the questions after /start, in order
EDITABLE = ("name", "organisation", *ONBOARDING)  # what /hoso can change


@dataclass(frozen=True)
class Edit(CallbackData, prefix="hs"):
    """A button of the profile card: change one field (or nophone, lang)."""

    field: str


def _onboarding(ctx: Context) -> bool:
    return ctx.state.data.get("mode") == "onboarding"


def _head(ctx: Context, step: str) -> str:
    if _onboarding(ctx) and step in ONBOARDING:
        return ctx.t("**Question {n} of {total}.**", n=ONBOARDING.index(step) + 1,
                     total=len(ONBOARDING)) + " "
    return ""


def _after(step: str):
    """Onboarding: the next question; editing from /hoso: back to the card."""
    def following(ctx: Context) -> str:
        if not _onboarding(ctx) or step not in ONBOARDING:
            return END
        i = ONBOARDING.index(step)
        return ONBOARDING[i + 1] if i + 1 < len(ONBOARDING) else END
    return following


def _before(step: str):
    """"quay lại": the previous question (onboarding) or the card (editing)."""
    async def previous(ctx: Context) -> str | None:
        if not _onboarding(ctx):
            await show(ctx)
            return LEFT
        i = ONBOARDING.index(step)
        return ONBOARDING[i - 1] if i > 0 else None
    return previous


# -- topics -------------------------------------------------------------------------------
def _ask_topics(ctx: Context) -> None:
    t = ctx.t
    chosen = set(ctx.state.data.get("topics", []))
    topics = ctx.services.library.topics
    rows = [[choice(ctx, ("✅ " if tid in chosen else "") + labels[t.locale], "t", tid)]
            for tid, labels in topics.items()]
    rows.append([choice(ctx, t.plain("Done"), "td"), skip_button(ctx)])
    how = fits(ctx,
               t("Press a topic to choose it (press again to remove it), then **Done**."),
               t("Type the numbers of the topics you want (for example “1 3”), then “xong”."))
    ctx.reply(_head(ctx, "topics") + t("Which topics interest you?") + " " + how, rows)


async def _toggle(ctx: Context, tid: str) -> Any:
    if tid in ctx.services.library.topics:
        chosen = list(ctx.state.data.get("topics", []))
        if tid in chosen:
            chosen.remove(tid)
        else:
            chosen.append(tid)
        ctx.state.data["topics"] = chosen
    return STAY


async def _topics_done(ctx: Context, arg: str = "") -> Any:
    await ctx.services.store.members.set_topics(ctx.member.id, ctx.state.data.get("topics", []))
    return None


async def _topics_skip(ctx: Context, arg: str) -> Any:
    return None


_SPLIT = re.compile(r"\s*(?:,|;|\+|\bva\b|\bvoi\b|\band\b|\s)\s*")


async def _topics_typed(ctx: Context, text: str) -> Any:
    """Several topics at once: "1 3", "1,3", "1 và 3", or their names."""
    topics = list(ctx.services.library.topics.items())
    folded = fold(text)
    parts = [p for p in _SPLIT.split(folded) if p]
    chosen: list[str] = []
    if parts and all(p.isdigit() for p in parts):
        for p in parts:
            i = int(p)
            if not 1 <= i <= len(topics):
                raise Invalid(N_("Please type numbers from 1 to {n}, for example “1 3”."),
                              n=len(topics))
            chosen.append(topics[i - 1][0])
    else:
        for tid, labels in topics:
            names = {fold(v) for v in labels.values()} | {tid}
            if any(n and n in folded for n in names):
                chosen.append(tid)
        if not chosen:
            raise Invalid(N_("Please type the numbers of the topics you want, for example "
                             "“1 3”."))
    ctx.state.data["topics"] = list(dict.fromkeys(chosen))
    return await _topics_done(ctx)


# -- the table -------------------------------------------------------------------------------
async def _finish(ctx: Context) -> None:
    if _onboarding(ctx):
        await ctx.services.store.members.set_profile_done(ctx.member.id)
        ctx.state.clear()
        ctx.reply(ctx.t("Thank you! Your profile is saved. Type /hoso to see or change it, "
                        "and /menu to see what I can do."))
        return
    await show(ctx)


async def _go(ctx: Context, args: list[str]) -> None:
    await FLOW.start(ctx, ONBOARDING[0], mode="onboarding")


async def _later(ctx: Context, args: list[str]) -> None:
    ctx.state.clear()
    ctx.reply(ctx.t("All right. Whenever you like, type /hoso to fill in your profile, or "
                    "/menu to see what I can do."))


FLOW = Flow(
    NAME, "pf", first="commune", finish=_finish,
    actions={"go": _go, "later": _later},
    doc="Onboarding after /start (4 skippable questions) and one field edited from /hoso.",
    steps={s.name: s for s in (
        commune_step(next=_after("commune"), back=_before("commune"), head=_head),
        role_step(next=_after("role"), back=_before("role"), head=_head),
        phone_step(next=_after("phone"), back=_before("phone"), head=_head),
        Step("topics", _ask_topics,
             {"t": _toggle, "td": _topics_done, "skip": _topics_skip},
             text=_topics_typed, next=_after("topics"), back=_before("topics"),
             expects=N_("Please type the numbers of the topics you want, for example “1 3”.")),
        name_step(next=END, back=_before("name")),
        organisation_step(next=END, back=_before("organisation")),
    )},
)


# -- entry points ------------------------------------------------------------------------------
def offer(ctx: Context) -> None:
    t = ctx.t
    ctx.reply(
        t("So that the union sends you news for your commune and your work, please answer "
          "4 short questions.") + " " + fits(ctx, t("Press **Skip** for any you would rather "
                                                   "not answer."),
                                              t("You can type “bỏ qua” to skip any of them.")),
        [[Button(t.plain("Fill in my profile"), "pf:go"), Button(t.plain("Later"), "pf:later")]],
    )


async def show(ctx: Context) -> None:
    """/hoso: the profile card with a button to change each field."""
    ctx.state.clear()
    member = await ctx.services.store.members.get(ctx.member.id)
    assert member is not None
    ctx.member = member
    t = ctx.t
    s = ctx.services
    none = t("(not given)")
    commune = s.communes.get(member.commune_code)
    labels = s.library.topics
    topics = [labels[x][t.locale] for x in member.topics if x in labels]

    def line(label: str, value: str | None) -> str:
        return f"- {label}: " + (md_escape(value) if value else none)

    lines = [
        t("**Your profile**"),
        "",
        line(t("Full name"), member.full_name or member.display_name),
        line(t("Organisation"), member.organisation),
        line(t("Commune/ward"), commune.name if commune else None),
        line(t("Role"), t.plain(ROLES[member.role]) if member.role in ROLES else None),
        line(t("Phone"), show_phone(member.phone) if member.phone else None),
        line(t("Topics"), ", ".join(topics)),
        line(t("Receiving news"), t.plain("yes") if member.subscribed else t.plain("no")),
    ]

    def edit(label: str, what: str) -> Button:
        return Button(t.plain(label), Edit(what).pack())

    buttons = [
        [edit("Change name", "name"), edit("Change organisation", "organisation")],
        [edit("Change commune", "commune"), edit("Change role", "role")],
        [edit("Change phone", "phone"), edit("Change topics", "topics")],
    ]
    if member.phone:
        buttons.append([edit("Delete my phone number", "nophone")])
    await link.card(ctx, lines, buttons)
    buttons.append([Button("English" if t.locale == "vi" else "Tiếng Việt", Edit("lang").pack())])
    ctx.reply("\n".join(lines), buttons)


async def on_edit(ctx: Context) -> None:
    """Buttons of the profile card (``hs:<field>``)."""
    data = Edit.unpack(ctx.inbound.action) if ctx.inbound.action else None
    field = data.field if data else (ctx.args[0] if ctx.args else "")
    store = ctx.services.store
    if field in EDITABLE:
        ctx.state.enter(NAME, field, mode="edit")
        if field == "topics":
            member = await store.members.get(ctx.member.id)
            ctx.state.data["topics"] = list(member.topics) if member else []
        await FLOW.ask(ctx, field)
    elif field == "nophone":
        await store.members.update(ctx.member.id, phone=None)
        await ctx.audit("profile.phone_deleted")
        ctx.reply(ctx.t("Your phone number is deleted."))
        await show(ctx)
    elif field == "lang":
        new = "en" if ctx.member.locale == "vi" else "vi"
        await store.members.update(ctx.member.id, locale=new)
        ctx.t = translator(new, ctx.services.settings.tz)
        await show(ctx)
    else:
        ctx.reply(ctx.t("That button is no longer valid. Type /menu to start again."))


__all__ = ["FLOW", "offer", "show", "skip_hint"]


def register(router: Router) -> None:
    router.command(("hoso", "profile"), show, N_("See and change your profile"),
                   keywords=("hồ sơ", "hồ sơ của tôi"))
    router.add_flow(FLOW)
    router.action("hs", on_edit)
