"""The member profile: the short onboarding questions after /start and /hoso.

Four questions, each skippable: commune or ward (matched against the official
list whatever the typing), role, phone number (shared or typed, stored in
E.164) and topics of interest.  The step lives in the dialog state, so a
restart in the middle resumes at the same question.
"""

from __future__ import annotations

from bot.engine import Context
from bot.i18n import N_, md_escape, translator
from bot.phone import parse_phone, show_phone
from bot.roles import ROLES
from bot.router import Router
from bot.types import Button, InboundKind

from . import link

FLOW = "profile"
STEPS = ("commune", "role", "phone", "topics")


# -- entry points --------------------------------------------------------------
def offer(ctx: Context) -> None:
    t = ctx.t
    ctx.reply(
        t("So that the union sends you news for your commune and your work, please answer "
          "4 short questions. Press **Skip** for any you would rather not answer."),
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
        line(t("Name"), member.display_name),
        line(t("Commune/ward"), commune.name if commune else None),
        line(t("Role"), t.plain(ROLES[member.role]) if member.role in ROLES else None),
        line(t("Phone"), show_phone(member.phone) if member.phone else None),
        line(t("Topics"), ", ".join(topics)),
        line(t("Receiving news"), t.plain("yes") if member.subscribed else t.plain("no")),
    ]
    buttons = [
        [Button(t.plain("Change commune"), "hs:commune"), Button(t.plain("Change role"), "hs:role")],
        [Button(t.plain("Change phone"), "hs:phone"), Button(t.plain("Change topics"), "hs:topics")],
    ]
    if member.phone:
        buttons.append([Button(t.plain("Delete my phone number"), "hs:nophone")])
    await link.card(ctx, lines, buttons)
    buttons.append([Button("English" if t.locale == "vi" else "Tiếng Việt", "hs:lang")])
    ctx.reply("\n".join(lines), buttons)


# -- questions -------------------------------------------------------------------
def _header(ctx: Context, step: str) -> str:
    if ctx.state.data.get("mode") == "onboarding":
        return ctx.t("**Question {n} of {total}.**", n=STEPS.index(step) + 1, total=len(STEPS)) + " "
    return ""


def _skip(ctx: Context) -> Button:
    return Button(ctx.t.plain("Skip"), "pf:skip")


def ask(ctx: Context, step: str) -> None:
    t = ctx.t
    ctx.state.flow, ctx.state.step = FLOW, step
    head = _header(ctx, step)
    if step == "commune":
        ctx.reply(
            head + t("Which commune or ward (xã/phường) of {province} do you live in? Type its "
                     "name, for example _Sơn Động_ or _phường Từ Sơn_.",
                     province=ctx.services.communes.province.name),
            [[_skip(ctx)]],
        )
    elif step == "role":
        roles = [Button(t.plain(label), f"pf:r:{key}") for key, label in ROLES.items()]
        rows = [roles[i : i + 2] for i in range(0, len(roles), 2)]
        ctx.reply(head + t("What is your role?"), [*rows, [_skip(ctx)]])
    elif step == "phone":
        if ctx.caps is not None and ctx.caps.contact_button:
            text = t("Your phone number lets the union call you about training and support. "
                     "Press the button below to share it, or type it (for example 0912 345 678). "
                     "Only union staff can see it.")
        else:
            text = t("Your phone number lets the union call you about training and support. "
                     "Type it here (for example 0912 345 678). Only union staff can see it.")
        ctx.reply(head + text, [[_skip(ctx)]], ask_contact=True)
    elif step == "topics":
        chosen = set(ctx.state.data.get("topics", []))
        topics = ctx.services.library.topics
        buttons = [
            [Button(("✅ " if tid in chosen else "") + labels[t.locale], f"pf:t:{tid}")]
            for tid, labels in topics.items()
        ]
        buttons.append([Button(t.plain("Done"), "pf:td"), _skip(ctx)])
        ctx.reply(
            head + t("Which topics interest you? Press a topic to choose it (press again to "
                     "remove it), then **Done**."),
            buttons,
        )


async def _next(ctx: Context, step: str) -> None:
    """Move on after ``step`` was answered or skipped."""
    if ctx.state.data.get("mode") != "onboarding":
        await show(ctx)
        return
    i = STEPS.index(step)
    if i + 1 < len(STEPS):
        ask(ctx, STEPS[i + 1])
        return
    await ctx.services.store.members.set_profile_done(ctx.member.id)
    ctx.state.clear()
    ctx.reply(ctx.t("Thank you! Your profile is saved. Type /hoso to see or change it, and "
                    "/menu to see what I can do."))


# -- what the person does -------------------------------------------------------
async def on_text(ctx: Context) -> None:
    """Typed text (or a shared contact, sticker, photo) while a question is open."""
    step = ctx.state.step
    t = ctx.t
    kind = ctx.inbound.kind
    if step == "phone" and kind is InboundKind.CONTACT:
        if not ctx.inbound.phone_is_own:  # someone else's contact: nothing is saved
            ctx.reply(t("Please share your own phone number, or type it."), [[_skip(ctx)]],
                      ask_contact=True)
            return
        await _save_phone(ctx, ctx.inbound.phone)
        return
    if kind is not InboundKind.TEXT or not ctx.text:
        ctx.reply(t("Please answer in text, or press **Skip**."))
        ask(ctx, step or STEPS[0])
        return
    if step == "commune":
        await _commune_typed(ctx)
    elif step == "phone":
        await _save_phone(ctx, ctx.text)
    elif step == "role":
        ctx.reply(t("Please choose one of the roles below."))
        ask(ctx, "role")
    elif step == "topics":
        ctx.reply(t("Please press the topics you want, then **Done**."))
        ask(ctx, "topics")
    else:
        ctx.state.clear()


async def _commune_typed(ctx: Context) -> None:
    t = ctx.t
    communes = ctx.services.communes
    found = communes.match(ctx.text)
    if found.exact:
        await _save(ctx, commune_code=found.exact.code)
        ctx.reply(t("Saved: {name}.", name=found.exact.name))
        await _next(ctx, "commune")
        return
    if found.candidates:
        buttons = [[Button(c.name, f"pf:c:{c.code}")] for c in found.candidates]
        ctx.reply(t("Which one do you mean?"), [*buttons, [_skip(ctx)]])
        return
    ctx.reply(
        t("I could not find “{typed}” among the communes and wards of {province}. Please check "
          "the name and type it again, or press **Skip**.",
          typed=ctx.text[:60], province=communes.province.name),
        [[_skip(ctx)]],
    )


async def _save_phone(ctx: Context, raw: str | None) -> None:
    t = ctx.t
    phone = parse_phone(raw)
    if phone is None:
        ctx.reply(
            t("That does not look like a phone number. Please type it like 0912 345 678, "
              "or press **Skip**."),
            [[_skip(ctx)]],
            ask_contact=True,
        )
        return
    await _save(ctx, phone=phone)
    ctx.reply(t("Saved your number {phone}.", phone=show_phone(phone)), close_keyboard=True)
    await _next(ctx, "phone")


async def _save(ctx: Context, **fields: str | None) -> None:
    await ctx.services.store.members.update(ctx.member.id, **fields)


async def on_action(ctx: Context) -> None:
    """Buttons of the profile questions (prefix ``pf``)."""
    t = ctx.t
    args = ctx.args
    state = ctx.state
    in_step = state.flow == FLOW and state.step
    if args == ["go"]:
        state.enter(FLOW, STEPS[0], mode="onboarding")
        ask(ctx, STEPS[0])
    elif args == ["later"]:
        state.clear()
        ctx.reply(t("All right. Whenever you like, type /hoso to fill in your profile, or /menu "
                    "to see what I can do."))
    elif args == ["skip"] and in_step:
        step = state.step
        if step == "phone":
            ctx.reply(t("Skipped."), close_keyboard=True)
        await _next(ctx, step)
    elif len(args) == 2 and args[0] == "c" and state.step == "commune" and in_step:
        commune = ctx.services.communes.get(args[1])
        if commune is None:
            ctx.reply(t("That button is no longer valid. Type /menu to start again."))
            return
        await _save(ctx, commune_code=commune.code)
        ctx.reply(t("Saved: {name}.", name=commune.name))
        await _next(ctx, "commune")
    elif len(args) == 2 and args[0] == "r" and state.step == "role" and in_step:
        if args[1] not in ROLES:
            ctx.reply(t("That button is no longer valid. Type /menu to start again."))
            return
        await _save(ctx, role=args[1])
        await _next(ctx, "role")
    elif len(args) == 2 and args[0] == "t" and state.step == "topics" and in_step:
        if args[1] in ctx.services.library.topics:
            chosen = list(state.data.get("topics", []))
            if args[1] in chosen:
                chosen.remove(args[1])
            else:
                chosen.append(args[1])
            state.data["topics"] = chosen
        ask(ctx, "topics")
    elif args == ["td"] and state.step == "topics" and in_step:
        await ctx.services.store.members.set_topics(ctx.member.id, state.data.get("topics", []))
        await _next(ctx, "topics")
    else:
        ctx.reply(t("That button is no longer valid. Type /menu to start again."))


async def on_edit(ctx: Context) -> None:
    """Buttons of the profile card (prefix ``hs``)."""
    args = ctx.args
    field = args[0] if args else ""
    store = ctx.services.store
    if field in STEPS:
        ctx.state.enter(FLOW, field, mode="edit")
        if field == "topics":
            member = await store.members.get(ctx.member.id)
            ctx.state.data["topics"] = list(member.topics) if member else []
        ask(ctx, field)
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


def register(router: Router) -> None:
    router.command(("hoso", "profile"), show, N_("See and change your profile"),
                   keywords=("hồ sơ", "hồ sơ của tôi"))
    router.flow(FLOW, on_text)
    router.action("pf", on_action)
    router.action("hs", on_edit)
