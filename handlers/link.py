"""Linking a person's accounts on two channels (from the /hoso card).

A person is a member per channel.  One who uses both presses "Link my other
account" on one of them and gets a code, then sends "liên kết CODE" (or
/lienket CODE) from the other; both accounts must carry the same phone number.
Once linked, the person picks where pushes (broadcasts and series) go; replies
to what they ask still come where they ask it.
"""

from __future__ import annotations

from functools import cache

from bot import channels as registry
from bot.engine import Context
from bot.i18n import N_
from bot.router import Router
from bot.store.links import CODE_TTL
from bot.text import fold
from bot.types import Button

from . import faq


def _name(ctx: Context, channel: str) -> str:
    return ctx.t.plain(registry.title(channel))


def _others(ctx: Context) -> str:
    """The channels where the person's other account can be (their titles): those the
    bot runs on besides this one, else every channel a union can run."""
    here = ctx.member.channel
    running = [k for k in registry.kinds() if k.name in ctx.services.delivery.channels]
    others = [k for k in running if k.name != here] or \
        [k for k in registry.kinds() if k.enabled_by and k.name != here]
    return "/".join(ctx.t.plain(k.title) for k in others)


async def card(ctx: Context, lines: list[str], buttons: list[list[Button]]) -> None:
    """The linking part of the profile card: a line when linked, and its buttons."""
    t = ctx.t
    accounts = await ctx.services.store.links.accounts(ctx.member.id)
    if not accounts:
        buttons.append([Button(t.plain("Link my other account ({names})", names=_others(ctx)),
                               "lk:start")])
        return
    chosen = next((a.channel for a in accounts if a.pushes), ctx.member.channel)
    lines.append("- " + t("Linked accounts: {names}; news comes on {chosen}",
                          names=", ".join(_name(ctx, a.channel) for a in accounts),
                          chosen=_name(ctx, chosen)))
    buttons.append(_choices(ctx, [a.channel for a in accounts if a.channel != chosen]))
    buttons.append([Button(t.plain("Unlink my accounts"), "lk:off")])


def _choices(ctx: Context, channels: list[str]) -> list[Button]:
    return [Button(ctx.t.plain("News on {name}", name=_name(ctx, c)), f"lk:to:{c}") for c in channels]


async def start(ctx: Context) -> None:
    t = ctx.t
    member = await ctx.services.store.members.get(ctx.member.id)
    if member is None or not member.phone:
        ctx.reply(t("To link your accounts, first add your phone number here, then the same "
                    "number on your other account."),
                  [[Button(t.plain("Change phone"), "hs:phone")]])
        return
    code = await ctx.services.store.links.issue_code(member.id, member.phone, ctx.services.clock.now())
    ctx.reply(t("Your link code is **{code}** (valid {minutes} minutes).\n\nOpen the bot on your other "
                "account ({names}) and send: **liên kết {code}**\n\nThe other account must "
                "have the same phone number in its profile. Do not give this code to anyone.",
                code=code, minutes=int(CODE_TTL.total_seconds() // 60), names=_others(ctx)))


async def redeem(ctx: Context) -> None:
    """/lienket CODE, or "liên kết CODE" typed, on the other account."""
    t = ctx.t
    s = ctx.services
    code = "".join(ctx.args)
    member = await s.store.members.get(ctx.member.id)
    if not code.isdigit() or len(code) != 6:
        ctx.reply(t("Send the 6-digit code from your other account, for example: liên kết 123456. "
                    "To get a code, choose **Link my other account** in /hoso there."))
        return
    if member is None or not member.phone:
        ctx.reply(t("First add the same phone number as on your other account to this profile, "
                    "then send the code again."),
                  [[Button(t.plain("Change phone"), "hs:phone")]])
        return
    other = await s.store.links.redeem(member.id, member.channel, member.phone, code, s.clock.now())
    if other is None:
        ctx.reply(t("That code is wrong or has expired, or the two accounts do not have the same "
                    "phone number. Make a new code in /hoso on your other account."))
        return
    await ctx.audit("member.link", other=other)
    accounts = await s.store.links.accounts(member.id)
    ctx.reply(t("Your accounts are linked. Where would you like to receive the union's news?"),
              [_choices(ctx, [a.channel for a in accounts])])


async def on_action(ctx: Context) -> None:
    t = ctx.t
    links = ctx.services.store.links
    args = ctx.args
    if args == ["start"]:
        await start(ctx)
    elif len(args) == 2 and args[0] == "to" and await links.choose(ctx.member.id, args[1]):
        ctx.reply(t("From now on the union's news comes to you on {name} only.",
                    name=_name(ctx, args[1])))
    elif args == ["off"]:
        await links.unlink(ctx.member.id)
        await ctx.audit("member.unlink")
        ctx.reply(t("Your accounts are no longer linked. Each account that subscribed receives "
                    "the news."))
    else:
        ctx.reply(t("That button is no longer valid. Type /menu to start again."))


def is_code_attempt(rest: list[str]) -> bool:
    """What may follow a typed "liên kết": nothing (how to link?), a code ("123456",
    "123 456"), or words that name the accounts ("tài khoản", a channel's name)."""
    joined = "".join(rest)
    if not rest or joined.isdigit():
        return True
    return fold(" ".join(rest)) in _account_words()


@cache
def _account_words() -> frozenset[str]:
    words = {"tai khoan", "tk", "acc", "account", "tai khoan khac", "hai tai khoan", "2 tai khoan"}
    channels = {fold(w) for k in registry.kinds() if k.enabled_by for w in (k.name, k.title)}
    words |= channels | {f"tai khoan {c}" for c in channels}
    words |= {f"{a}{sep}{b}" for a in channels for b in channels if a != b for sep in (" ", " va ")}
    return frozenset(words)


async def typed(ctx: Context) -> None:
    """Free text that starts with "liên kết": linking only when the rest fits it (a code,
    or nothing); otherwise it is a question ("liên kết chuỗi là gì") for the FAQ."""
    if is_code_attempt(ctx.args):
        await redeem(ctx)
    else:
        await faq.free_text(ctx)


def register(router: Router) -> None:
    router.command(("lienket", "link"), redeem, N_("Link your accounts on two channels"),
                   listed=False)
    router.prefix(("liên kết",), typed)
    router.action("lk", on_action)
