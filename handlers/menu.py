"""/menu, /trogiup, "hủy" (leave what you are doing) and free text.

The menu shows only what exists; help is built from the registered commands,
so it never lists a command that is not there.
"""

from __future__ import annotations

from bot.engine import Context
from bot.i18n import N_
from bot.router import Command, Router
from bot.types import Button

from . import news

REPORTING_ROLES = ("official", "coop", "group", "business")  # the check-ins' audiences


async def menu(ctx: Context) -> None:
    t = ctx.t
    ctx.state.clear()
    fresh = await news.new_count(ctx)
    label = "📰 " + (t.plain("News ({n} new)", n=fresh) if fresh else t.plain("News"))
    rows = [
        [Button(label, "m:news"), Button("❓ " + t.plain("Ask a question"), "m:ask")],
        [Button("🎓 " + t.plain("Training"), "m:training"), Button(t.plain("My profile"), "m:profile")],
        [Button(t.plain("Help"), "m:help")],
    ]
    if ctx.member.role in REPORTING_ROLES:
        rows[-1].insert(0, Button("📋 " + t.plain("Progress report"), "m:report"))
    if ctx.member.subscribed:
        rows.append([Button(t.plain("Stop receiving news"), "m:stop")])
    else:
        rows.append([Button(t.plain("Receive the union's news"), "m:start")])
    if ctx.is_staff:
        rows.append([Button(t.plain("Statistics (staff)"), "m:stats")])
    ctx.reply(t("What would you like to do?"), rows)


def command_name(cmd: Command, locale: str) -> str:
    """The name to show: the first (Vietnamese) one, or for English readers the English
    alias when there is one (/news, /ask, /profile), as the platform's command list does."""
    return cmd.names[1] if locale == "en" and len(cmd.names) > 1 else cmd.names[0]


async def help_(ctx: Context) -> None:
    t = ctx.t
    router = ctx.services.router
    caps = ctx.caps
    if caps is None or caps.buttons:
        how = t("Press the buttons under my messages, or type a command:")
    else:
        how = t("Choose from a list by typing its number (1, 2, …), or type a command:")
    lines = [t("**How to use Nhà Nông**"), "", how]
    for cmd in router.ordered:
        if not cmd.listed or (cmd.staff and not ctx.is_staff):
            continue
        lines.append(f"/{command_name(cmd, t.locale)} — {t(cmd.description)}")
    lines += [
        "",
        t("You can also type words: “menu”, “hồ sơ”, “dừng” to stop the news (with or without "
          "accents), and “hủy” to leave what you are doing."),
    ]
    ctx.reply("\n".join(lines))


async def cancel(ctx: Context) -> None:
    t = ctx.t
    if ctx.state.flow:
        ctx.state.clear()
        ctx.reply(t("Cancelled. Type /menu to see what I can do."), close_keyboard=True)
    else:
        ctx.reply(t("There is nothing to cancel. Type /menu to see what I can do."))


# Menu buttons open commands, looked up in the router so each keeps its staff flag.
_MENU_ACTIONS = {
    "news": "tin",
    "ask": "hoi",
    "profile": "hoso",
    "training": "taphuan",
    "report": "baocao",
    "help": "trogiup",
    "stop": "dung",
    "start": "start",
    "stats": "thongke",
    "menu": "menu",
}


async def on_action(ctx: Context) -> None:
    name = _MENU_ACTIONS.get(ctx.args[0] if ctx.args else "")
    cmd = ctx.services.router.commands.get(name) if name else None
    if cmd is None:
        ctx.reply(ctx.t("That button is no longer valid. Type /menu to start again."))
        return
    if ctx.allowed(cmd.staff):
        ctx.args = []  # a menu button carries no arguments for the command it opens
        await cmd.handler(ctx)


def register(router: Router) -> None:
    router.command(("menu",), menu, N_("Show what I can do"),
                   keywords=("menu", "mở menu", "danh mục", "bắt đầu lại"))
    router.command(("trogiup", "help"), help_, N_("How to use the bot"),
                   keywords=("trợ giúp", "giúp", "giúp tôi", "hướng dẫn", "help"))
    router.command(("huy", "cancel"), cancel, N_("Leave what you are doing"), listed=False,
                   keywords=("hủy", "thoát", "cancel", "quay lại"))
    router.action("m", on_action)
