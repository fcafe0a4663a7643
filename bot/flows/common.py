"""Steps more than one flow asks: commune, role, phone, full name, organisation.

Profile (onboarding and /hoso) and training sign-up use the same step, so a
commune, a role or a phone number is understood the same way everywhere.  Each
factory takes where the answer goes (``next``), where "quay lại" goes
(``back``), whether the question can be skipped, and ``head`` (a line put
before the question, such as "Câu 1/4.").  Answers are saved to the member's
profile at once and ``ctx.member`` is refreshed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..i18n import N_
from ..phone import parse_phone, show_phone
from ..roles import ROLES, role_from_text
from ..text import clean, fold
from ..types import Button, InboundKind
from . import LEFT, STAY, Invalid, Step, Target, buttons, fits

if TYPE_CHECKING:
    from ..engine import Context

Head = Callable[["Context", str], str]

SKIP = "skip"


def _none(ctx: Context, step: str) -> str:
    return ""


def choice(ctx: Context, label: str, key: str, arg: str = "") -> Button:
    """A choice button of the flow the person is in (its prefix from the router)."""
    flow = ctx.services.router.tables[ctx.state.flow or ""]
    return flow.button(label, key, arg)


def skip_button(ctx: Context) -> Button:
    return choice(ctx, ctx.t.plain("Skip"), SKIP)


def skip_hint(ctx: Context) -> str:
    """How to skip, in words that fit the channel."""
    t = ctx.t
    return fits(ctx, t("Press **Skip** if you would rather not answer."),
                t("Type “bỏ qua” if you would rather not answer."))


async def save(ctx: Context, **fields: Any) -> None:
    store = ctx.services.store.members
    await store.update(ctx.member.id, **fields)
    member = await store.get(ctx.member.id)
    if member is not None:
        ctx.member = member


async def _skip(ctx: Context, arg: str) -> None:
    if ctx.state.step == "phone":
        ctx.reply(ctx.t("Skipped."), close_keyboard=True)
    ctx.state.data.pop("_cands", None)
    return None


def _nav(ctx: Context, skip: bool) -> list[list[Button]]:
    return [[skip_button(ctx)]] if skip else []


# -- commune ------------------------------------------------------------------------------
def commune_step(*, next: Target, back: Target = None, skip: bool = True,
                 head: Head = _none, name: str = "commune", say_saved: bool = True) -> Step:
    """``say_saved``: confirm the commune found ("Đã lưu: Xã Sơn Động."); sign-up does
    not, its confirmation screen shows every detail."""
    def ask(ctx: Context) -> None:
        t = ctx.t
        cands = ctx.state.data.get("_cands")
        communes = ctx.services.communes
        if cands:
            rows = [[choice(ctx, c.name, "cm", c.code)] for c in
                    (communes.get(code) for code in cands) if c]
            ctx.reply(t("Which one do you mean?") + " " + fits(
                ctx, t("Press it, or type the name again."),
                t("Type its number, or type the name again.")), [*rows, *_nav(ctx, skip)])
            return
        text = head(ctx, name) + t(
            "Which commune or ward (xã/phường) of {province} do you live in? Type its "
            "name, for example _Sơn Động_ or _phường Từ Sơn_.", province=communes.province.name)
        if skip:
            text += " " + skip_hint(ctx)
        ctx.reply(text, _nav(ctx, skip))

    async def typed(ctx: Context, text: str) -> Any:
        communes = ctx.services.communes
        found = communes.match(text)
        if found.exact:
            ctx.state.data.pop("_cands", None)
            await save(ctx, commune_code=found.exact.code)
            if say_saved:
                ctx.reply(ctx.t("Saved: {name}.", name=found.exact.name))
            return None
        if found.candidates:
            ctx.state.data["_cands"] = [c.code for c in found.candidates]
            return STAY
        ctx.state.data.pop("_cands", None)
        raise Invalid(N_("I could not find “{typed}” among the communes and wards of "
                         "{province}. Please check the name and type it again."),
                      typed=clean(text, 60), province=communes.province.name)

    async def picked(ctx: Context, code: str) -> Any:
        commune = ctx.services.communes.get(code)
        if commune is None or code not in ctx.state.data.get("_cands", []):
            ctx.reply(ctx.t("That button is no longer valid. Type /menu to start again."))
            return STAY
        ctx.state.data.pop("_cands", None)
        await save(ctx, commune_code=commune.code)
        if say_saved:
            ctx.reply(ctx.t("Saved: {name}.", name=commune.name))
        return None

    choices = {"cm": picked, **({SKIP: _skip} if skip else {})}
    return Step(name, ask, choices, text=typed, next=next, back=back,
                typed=lambda ctx: not ctx.state.data.get("_cands"),
                expects=N_("Please type the name of your commune or ward."))


# -- role ----------------------------------------------------------------------------------
_ROLE_LEAD = ("toi la ", "minh la ", "em la ", "anh la ", "chi la ", "la ", "toi lam ", "lam ")


def parse_role(text: str) -> str | None:
    """A role from what a person types: its number is not handled here (the numbered
    buttons are), its label, key or a common name ("nông dân", "htx", "cán bộ hội")."""
    role = role_from_text(text)
    if role:
        return role
    f = fold(text)
    for lead in _ROLE_LEAD:
        if f.startswith(lead):
            f = f[len(lead):]
            break
    words = {"nong dan": "farmer", "nha nong": "farmer", "hoi vien nong dan": "farmer",
             "hop tac xa": "coop", "xa vien": "coop", "xa vien htx": "coop",
             "thanh vien htx": "coop", "to hop tac": "group", "to hop": "group",
             "tht": "group", "doanh nghiep": "business", "cong ty": "business",
             "can bo hoi": "official", "can bo": "official", "can bo hoi nong dan": "official"}
    return role_from_text(f) or words.get(f)


def role_step(*, next: Target, back: Target = None, skip: bool = True, head: Head = _none,
              name: str = "role", say_saved: bool = True) -> Step:
    def ask(ctx: Context) -> None:
        t = ctx.t
        roles = [choice(ctx, t.plain(label), "r", key) for key, label in ROLES.items()]
        rows = [roles[i: i + 2] for i in range(0, len(roles), 2)]
        hint = fits(ctx, t("Press one, or type it (for example “nông dân”)."),
                    t("Type its number, or type it (for example “nông dân”)."))
        ctx.reply(head(ctx, name) + t("What is your role?") + " " + hint,
                  [*rows, *_nav(ctx, skip)])

    async def picked(ctx: Context, key: str) -> Any:
        if key not in ROLES:
            ctx.reply(ctx.t("That button is no longer valid. Type /menu to start again."))
            return STAY
        await save(ctx, role=key)
        return None

    async def typed(ctx: Context, text: str) -> Any:
        role = parse_role(text)
        if role is None:
            raise Invalid(N_("Please choose one of the roles: its number or its name, for "
                             "example “nông dân” or “hợp tác xã”."))
        await save(ctx, role=role)
        if say_saved:
            ctx.reply(ctx.t("Saved: {name}.", name=ctx.t.plain(ROLES[role])))
        return None

    choices = {"r": picked, **({SKIP: _skip} if skip else {})}
    return Step(name, ask, choices, text=typed, next=next, back=back,
                expects=N_("Please choose one of the roles: its number or its name, for "
                           "example “nông dân” or “hợp tác xã”."))


# -- phone ---------------------------------------------------------------------------------
def phone_step(*, next: Target, back: Target = None, skip: bool = True, head: Head = _none,
               name: str = "phone") -> Step:
    def ask(ctx: Context) -> None:
        t = ctx.t
        caps = ctx.caps
        if caps is not None and caps.contact_button:
            text = t("Your phone number lets the union call you about training and support. "
                     "Press the button below to share it, or type it (for example 0912 345 678). "
                     "Only union staff can see it.")
        else:
            text = t("Your phone number lets the union call you about training and support. "
                     "Type it here (for example 0912 345 678). Only union staff can see it.")
        if skip:
            text += " " + skip_hint(ctx)
        ctx.reply(head(ctx, name) + text, _nav(ctx, skip), ask_contact=True)

    async def typed(ctx: Context, text: str) -> Any:
        inbound = ctx.inbound
        if inbound.kind is InboundKind.CONTACT:
            if not inbound.phone_is_own:  # someone else's contact: nothing is saved
                t = ctx.t
                ctx.reply(t("Please share your own phone number, or type it.") + " "
                          + t("Or type “hủy” to stop."), _nav(ctx, skip), ask_contact=True)
                return LEFT  # still at this question, the contact keyboard shown again
            raw = inbound.phone
        else:
            raw = text
        phone = parse_phone(raw)
        if phone is None:
            raise Invalid(N_("That does not look like a phone number. Please type it like "
                             "0912 345 678."))
        await save(ctx, phone=phone)
        ctx.reply(ctx.t("Saved your number {phone}.", phone=show_phone(phone)),
                  close_keyboard=True)
        return None

    choices = {SKIP: _skip} if skip else {}
    return Step(name, ask, choices, text=typed, typed=True, next=next, back=back,
                accepts=frozenset({InboundKind.TEXT, InboundKind.CONTACT}),
                expects=N_("That does not look like a phone number. Please type it like "
                           "0912 345 678."))


# -- full name and organisation -----------------------------------------------------------
def is_name(text: str) -> bool:
    """A person's name: 2 to 100 characters of letters, spaces, dots, hyphens, apostrophes."""
    letters = sum(ch.isalpha() for ch in text)
    return 2 <= len(text) <= 100 and letters >= 2 and all(
        ch.isalpha() or ch in " .'-" for ch in text)


def name_step(*, next: Target, back: Target = None, head: Head = _none,
              name: str = "name") -> Step:
    def ask(ctx: Context) -> None:
        ctx.reply(head(ctx, name) + ctx.t(
            "Your **full name**? Please type it as it should appear on the attendance list, "
            "for example _Nguyễn Văn An_."))

    async def typed(ctx: Context, text: str) -> Any:
        text = clean(text, 200)
        if not is_name(text):
            raise Invalid(N_("Please type your full name (2 to 100 letters), for example "
                             "_Nguyễn Văn An_."))
        await save(ctx, full_name=text)
        return None

    return Step(name, ask, {}, text=typed, typed=True, next=next, back=back,
                expects=N_("Please type your full name (2 to 100 letters), for example "
                           "_Nguyễn Văn An_."))


def organisation_step(*, next: Target, back: Target = None, skip: bool = True,
                      head: Head = _none, name: str = "organisation") -> Step:
    def ask(ctx: Context) -> None:
        text = head(ctx, name) + ctx.t("The name of your **cooperative, group or business**?")
        if skip:
            text += " " + skip_hint(ctx)
        ctx.reply(text, _nav(ctx, skip))

    async def typed(ctx: Context, text: str) -> Any:
        text = clean(text, 150)
        if len(text) < 2:
            raise Invalid(N_("Please type the name of your cooperative, group or business."))
        await save(ctx, organisation=text)
        return None

    async def skipped(ctx: Context, arg: str) -> Any:
        ctx.state.data["no_org"] = True
        return None

    choices = {SKIP: skipped} if skip else {}
    return Step(name, ask, choices, text=typed, typed=True, next=next, back=back,
                expects=N_("Please type the name of your cooperative, group or business."))


__all__ = ["buttons", "choice", "commune_step", "is_name", "name_step", "organisation_step",
           "parse_role", "phone_step", "role_step", "save", "skip_button", "skip_hint"]
