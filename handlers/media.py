"""What people send that is not text: a picture, a voice message, or a message whose
content the platform withholds (a platform's protected accounts: children, people with
disabilities, people who cannot read).

The bot reads none of them itself, so a picture or a voice message goes to the
staff chat as a question (a reply to the post answers the person, as with typed
questions in handlers/faq.py), with the picture shown, and the recording itself
or its link, where the staff chat's channel can send it.  A picture that a flow's step asks
for (a check-in's photo question) never comes here: the engine gives it to the
flow.  Every reply here is plain words: no buttons, nothing to press.
"""

from __future__ import annotations

from bot.engine import Context
from bot.i18n import md_escape
from bot.router import Router
from bot.text import fold
from bot.types import InboundKind, Reply

from . import faq


def _usable(media: str | None, channel: str) -> str | None:
    """``media`` if the staff chat's channel can show it: an http(s) address, or a
    file that channel keeps itself ("<channel>-file:…")."""
    if media and (media.startswith(("http://", "https://")) or media.startswith(f"{channel}-file:")):
        return media
    return None


def _staff_channel(ctx: Context) -> str | None:
    chat = ctx.services.settings.staff_chat
    return chat[0] if chat else None


async def _question(ctx: Context, text: str) -> int:
    s = ctx.services
    return await s.store.questions.add(ctx.member.id, text[:1000], fold(text)[:300], None, 0.0,
                                       s.clock.now())


def _footer(ctx: Context, qid: int) -> str:
    t = ctx.t
    lines = []
    if ctx.member.phone:  # staff may call back: the number is for their eyes only
        lines.append(t("📞 Phone: {phone}", phone=ctx.member.phone))
    lines.append(t("_Reply to this message to answer, or type /traloi {id} followed by the "
                   "answer._", id=qid))
    return "\n\n".join(lines)


async def photo(ctx: Context) -> None:
    """A picture outside any step that asked for one: to the staff, with the picture."""
    t = ctx.t
    channel = _staff_channel(ctx)
    caption = ctx.text
    if channel is None or await faq.over_limit(ctx):
        if channel is None:
            ctx.reply(t("Thank you for the picture. I cannot look at pictures myself: please "
                        "write your question in words, or type /menu to see what I can do."))
        return
    qid = await _question(ctx, caption or t.plain("(a picture)"))
    image = _usable(ctx.inbound.media, channel)
    text = t("📷 **Picture #{id}** from {name} ({where}, {role}, {channel}):",
             id=qid, **faq.who(ctx))
    if caption:
        text += "\n\n" + md_escape(caption)
    if image is None:
        text += "\n\n" + t("_(The picture stays on {channel}: it cannot be shown here.)_",
                           channel=ctx.member.channel)
    if not await faq.post_to_staff(ctx, qid, Reply(text + "\n\n" + _footer(ctx, qid),
                                                   image=image)):
        ctx.reply(t("Sorry, the question could not reach the staff right now. Please try "
                    "again later."))
        return
    ctx.reply(t("Thank you! Your picture has been sent to the union's staff. Their answer "
                "will come here."))


async def voice(ctx: Context) -> None:
    """A voice message: a polite answer, and the recording to the staff to listen to."""
    t = ctx.t
    channel = _staff_channel(ctx)
    unheard = t("Sorry, I cannot listen to voice messages. Please write your question in "
                "words, or call your local union branch (chi hội).")
    if channel is None:
        ctx.reply(unheard)
        return
    if await faq.over_limit(ctx):
        return
    qid = await _question(ctx, t.plain("(a voice message)"))
    link = _usable(ctx.inbound.media, channel)
    audio = None
    if link is not None and link.startswith(f"{channel}-file:"):
        audio, link = link, None  # a file the staff chat's channel keeps: the audio itself
    text = t("🎤 **Voice message #{id}** from {name} ({where}, {role}, {channel}).",
             id=qid, **faq.who(ctx))
    if link:
        text += "\n\n" + t("Listen: {link}", link=link)
    elif audio is None:
        text += "\n\n" + t("_(The recording stays on {channel}: it cannot be linked here.)_",
                           channel=ctx.member.channel)
    post = Reply(text + "\n\n" + _footer(ctx, qid), audio=audio)
    if not await faq.post_to_staff(ctx, qid, post):
        ctx.reply(unheard)
        return
    if ctx.member.phone:
        ctx.reply(t("Thank you! I cannot listen to voice messages myself, so I have passed "
                    "yours to the union's staff: they will listen to it and answer you here "
                    "or call you back."))
    else:
        ctx.reply(t("Thank you! I cannot listen to voice messages myself, so I have passed "
                    "yours to the union's staff: they will listen to it and answer you here."))


async def unsupported(ctx: Context) -> None:
    """Content the platform withheld (a protected account): what the bot does, and how
    to reach a person."""
    ctx.reply(ctx.t(
        "The app does not let me see what you sent, so I cannot read it. I send the news of "
        "{org} and answer questions about cooperatives, OCOP and the union's training. To "
        "talk to a person, please contact your local union branch (chi hội) or {org}.",
        org=ctx.services.settings.org_name))


def register(router: Router) -> None:
    router.on(InboundKind.PHOTO, photo)
    router.on(InboundKind.VOICE, voice)
    router.on(InboundKind.UNSUPPORTED, unsupported)
