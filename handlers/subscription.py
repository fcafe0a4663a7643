"""Consent and opt-out: /start subscribes (starting the bot is consent) or
resumes; /dung, or typing "dừng", stops every push to that person.  Following
the channel (an Official Account) is a first contact, as /start; unfollowing it
is as blocking the bot: nothing more is sent until the person writes or follows
again (any inbound clears the block: ``Members.seen``)."""

from __future__ import annotations

from bot.engine import Context
from bot.i18n import N_
from bot.router import Router
from bot.types import Button, InboundKind

from . import profile


async def start(ctx: Context) -> None:
    s = ctx.services
    m = ctx.member
    t = ctx.t
    await s.store.members.subscribe(m.id, s.clock.now())
    ctx.state.clear()
    name = m.display_name or t.plain("friend")
    if m.subscribed:
        ctx.reply(t("Hello {name}! You are already receiving the union's news.", name=name))
    elif m.consented:
        ctx.reply(t("Welcome back, {name}! You will receive the union's news again. "
                    "Type /dung at any time to stop.", name=name))
    else:
        ctx.reply(t(
            "Hello {name}! 🌾\n\nI am **Nhà Nông**, the assistant of **{org}**. From now on you "
            "will receive the union's news on cooperative production, value-chain linkage and "
            "the OCOP programme.\n\nTo stop receiving news at any time, type /dung.",
            name=name, org=s.settings.org_name,
        ))
    if not m.profile_done:
        profile.offer(ctx)
    else:
        ctx.reply(t("Type /menu to see what I can do."))


async def stop(ctx: Context) -> None:
    s = ctx.services
    t = ctx.t
    ctx.state.clear()
    if not ctx.member.subscribed:
        ctx.reply(t("You are not receiving news at the moment. Type /start to receive it again."))
        return
    await s.store.members.stop(ctx.member.id, s.clock.now())
    ctx.reply(
        t("Done: the union will not send you news any more. You can still use everything else here at "
          "any time.\n\nTo receive news again, type /start or choose **Receive news again**."),
        [[Button(t.plain("Receive news again"), "sub:start")]],
    )


async def unfollowed(ctx: Context) -> None:
    """The person stopped following the channel: unreachable there, nothing said."""
    s = ctx.services
    ctx.state.clear()
    await s.store.members.mark_blocked(ctx.member.channel, ctx.member.chat_id, s.clock.now())


async def on_action(ctx: Context) -> None:
    if ctx.args == ["start"]:
        await start(ctx)
    elif ctx.args == ["stop"]:
        await stop(ctx)
    else:
        ctx.reply(ctx.t("That button is no longer valid. Type /menu to start again."))


def register(router: Router) -> None:
    # /start is the same word in every language (and what a platform's Start button sends), so
    # it is listed alone; /batdau also works but is not listed (an English command list
    # takes a command's second name, which would have shown "batdau").
    router.command(("start",), start, N_("Subscribe to the union's news, or resume"))
    router.command(("batdau",), start, N_("Subscribe to the union's news, or resume"),
                   listed=False)
    router.command(
        ("dung", "stop"), stop, N_("Stop receiving news"),
        keywords=("dừng", "stop", "hủy nhận tin", "dừng nhận tin", "ngừng nhận tin",
                  "thôi nhận tin", "không nhận tin nữa", "unsubscribe"),
    )
    router.action("sub", on_action)
    router.on(InboundKind.FOLLOW, start)
    router.on(InboundKind.UNFOLLOW, unfollowed)
