"""Questions: free text and /hoi are answered from the FAQ; when the bot is not
sure it offers the closest questions and a way to ask the union's staff, who
answer in the staff chat (reply to the post, or /traloi ID text); the answer is
relayed to the farmer, who can rate it."""

from __future__ import annotations

from datetime import timedelta

from bot.engine import Context
from bot.faq import smalltalk, staff
from bot.i18n import N_, md_escape
from bot.roles import ROLES
from bot.router import Router
from bot.text import fold, shorten
from bot.types import Button, Reply

STAFF_LIMIT = 3  # questions a person may send to staff per hour
STAFF_WINDOW = timedelta(hours=1)



async def show_entry(ctx: Context, fid: str) -> bool:
    """An FAQ answer with buttons for related questions and linked articles."""
    lib = ctx.services.library
    entry = lib.faq_entry(fid, ctx.t.locale)
    if entry is None:
        return False
    rows = []
    for rid in entry.related[:3]:
        rel = lib.faq_entry(rid, ctx.t.locale)
        if rel:
            rows.append([Button("❓ " + shorten(rel.question), f"f:{rid}")])
    arts = list(entry.articles) + [
        a.id for a in lib.newest(ctx.t.locale) if fid in a.faq and a.id not in entry.articles
    ]
    for aid in arts[:2]:
        art = lib.article(aid, ctx.t.locale)
        if art:
            rows.append([Button("📰 " + shorten(art.title), f"n:a:{aid}")])
    ctx.reply(f"**{md_escape(entry.question)}**\n\n{entry.answer}", rows)
    return True


def small_talk(ctx: Context, text: str) -> str | None:
    """Greetings, thanks, a bare number, a price or weather question: a short answer of
    its own (with a way forward) instead of FAQ suggestions.  Returns the kind, or None
    for anything else (a question for the FAQ)."""
    t = ctx.t
    kind = smalltalk.classify(text)
    if kind is None:
        return None
    if kind == smalltalk.NUMBER:
        offered = ctx.state.offered
        caps = ctx.caps
        if offered and caps is not None and not caps.buttons:
            # The list is still what the person is choosing from: show it again.
            ctx.reply(t("There is no choice “{typed}”. Type a number from 1 to {last}, or "
                        "type /menu.", typed=shorten(text, 20), last=len(offered)),
                      [[Button(label, action)] for label, action in offered])
        else:
            ctx.reply(t("I did not understand “{typed}”. Type your question in words, or type "
                        "/menu to see what I can do.", typed=shorten(text, 20)))
        return kind
    answers = {
        smalltalk.GREETING: N_("Hello! 🌾 I am Nhà Nông, the union's assistant. Type your "
                               "question in your own words, or type /menu to see what I can do."),
        smalltalk.THANKS: N_("You are welcome! 🌾 If you need anything else, type your "
                             "question or /menu."),
        smalltalk.BYE: N_("Goodbye, and good harvests! 🌾 Come back any time: type /menu."),
        smalltalk.ACK: N_("👍 Whenever you need something, type your question or /menu."),
        smalltalk.UNCLEAR: N_("I did not understand. Type your question in words, or type /menu "
                              "to see what I can do."),
        smalltalk.PRICE: N_("I do not have market prices. For today's prices, ask your commune's "
                            "agricultural extension officer, your union branch (chi hội) or the "
                            "cooperative you sell to, or see the news pages of the province's "
                            "Department of Agriculture and Environment. Type /menu to see what "
                            "I can help with."),
        smalltalk.WEATHER: N_("I do not have weather forecasts. The national forecast is at "
                              "nchmf.gov.vn (National Centre for Hydro-Meteorological "
                              "Forecasting), and on TV and radio. Type /menu to see what I can "
                              "help with."),
    }
    ctx.reply(t(answers[kind]))
    return kind


async def ask(ctx: Context, question: str) -> None:
    """Answer a question, or say honestly that the bot is not sure."""
    s = ctx.services
    t = ctx.t
    kind = small_talk(ctx, question)
    if kind in (smalltalk.PRICE, smalltalk.WEATHER):
        # Still a question the FAQ cannot answer: staff see it in `faq gaps`.
        answer = s.faq.answer(question, t.locale)
        await s.store.questions.add(ctx.member.id, question[:1000], fold(question)[:300],
                                    answer.best, answer.score, s.clock.now())
    if kind is not None:
        return
    answer = s.faq.answer(question, t.locale)
    if answer.id and await show_entry(ctx, answer.id):
        return
    qid = await s.store.questions.add(ctx.member.id, question[:1000], fold(question)[:300],
                                      answer.best, answer.score, s.clock.now())
    rows = []
    for fid in answer.suggestions[:3]:
        entry = s.library.faq_entry(fid, t.locale)
        if entry:
            rows.append([Button("❓ " + shorten(entry.question), f"f:{fid}")])
    suggested = bool(rows)
    staff = bool(s.settings.staff_chat)
    if staff:
        rows.append([Button("✉️ " + t.plain("Ask the union's staff"), f"q:s:{qid}")])
    if suggested and staff:
        text = t("I am not sure I understood. Is your question one of these? If none fits, "
                 "choose **Ask the union's staff** and they will answer you here.")
    elif suggested:
        text = t("I am not sure I understood. Is your question one of these? If none fits, "
                 "ask your local union branch (chi hội) directly, or type /menu.")
    elif staff:
        text = t("I do not have an answer to that yet. Choose **Ask the union's staff** and "
                 "they will answer you here.")
    else:
        text = t("I do not have an answer to that yet. Please ask your local union branch "
                 "(chi hội) directly, or type /menu to see what I can do.")
    ctx.reply(text, rows)


async def hoi(ctx: Context) -> None:
    """/hoi QUESTION, or /hoi alone to be told how to ask."""
    if ctx.args:
        await ask(ctx, " ".join(ctx.args))
    else:
        ctx.reply(ctx.t("Type your question in your own words, for example: "
                        "_OCOP là gì?_ or _htx cần mấy thành viên?_"))


async def free_text(ctx: Context) -> None:
    await ask(ctx, ctx.text)


async def send_to_staff(ctx: Context, qid: int) -> None:
    s = ctx.services
    t = ctx.t
    q = await s.store.questions.get(qid)
    if q is None or q.member_id != ctx.member.id or not s.settings.staff_chat:
        ctx.reply(t("That button is no longer valid. Type /menu to start again."))
        return
    if q.sent:
        ctx.reply(t("This question is already with the union's staff. They will answer here."))
        return
    if await over_limit(ctx):
        return
    text = t(
        "❓ **Question #{id}** from {name} ({where}, {role}, {channel}):\n\n{question}\n\n"
        "_Reply to this message to answer, or type /traloi {id} followed by the answer._",
        id=qid, question=q.text, **who(ctx),
    )
    if not await post_to_staff(ctx, qid, Reply(text)):
        ctx.reply(t("Sorry, the question could not reach the staff right now. Please try "
                    "again later."))
        return
    ctx.reply(t("Sent to the union's staff. Their answer will come here."))


async def over_limit(ctx: Context) -> bool:
    """The person sent the staff enough this hour: say so (True) instead of sending more."""
    s = ctx.services
    since = s.clock.now() - STAFF_WINDOW
    if await s.store.questions.sent_since(ctx.member.id, since) < STAFF_LIMIT:
        return False
    ctx.reply(ctx.t("You have sent several questions in the last hour. The union's staff will "
                    "answer them soon; please wait before sending more."))
    return True


def who(ctx: Context) -> dict[str, str]:
    """The person as staff see them in a post: name, where, role, channel."""
    s, t, m = ctx.services, ctx.t, ctx.member
    commune = s.communes.get(m.commune_code)
    return {"name": m.display_name or m.key, "where": commune.name if commune else "?",
            "role": t.plain(ROLES[m.role]) if m.role in ROLES else "?", "channel": m.channel}


async def post_to_staff(ctx: Context, qid: int, post: Reply) -> bool:
    """Post question ``qid`` in the staff chat (a reply to the post answers it); False
    if it did not get there."""
    s = ctx.services
    outcome = await staff.post_in_staff_chat(s, post, ctx.t)
    if outcome is None or outcome.status != "sent":
        return False
    channel, chat = s.settings.staff_chat
    await s.store.questions.mark_sent(qid, channel, chat, outcome.message_id, s.clock.now())
    return True


async def _relay(ctx: Context, qid: int, answer: str) -> None:
    """The answer goes to the farmer after this reply (through the inbound journal)."""
    relayed = await staff.answer_question(ctx.services, qid, answer, ctx.actor,
                                          raw=ctx.inbound.text or "")
    if relayed.asker is not None and relayed.post is not None:
        ctx.send_to(relayed.asker, relayed.post)
    ctx.reply(relayed.message(ctx.t))


async def staff_reply(ctx: Context) -> None:
    """A reply, in the staff chat, to one of the bot's question posts."""
    q = await ctx.services.store.questions.by_staff_post(
        ctx.inbound.channel, ctx.inbound.chat_id, ctx.inbound.reply_to or ""
    )
    if q is not None and ctx.text:
        await _relay(ctx, q.id, ctx.text)


async def traloi(ctx: Context) -> None:
    """/traloi ID text — answer a question by its number."""
    if len(ctx.args) < 2 or not ctx.args[0].lstrip("#").isdigit():
        ctx.reply(ctx.t("Write it as: /traloi 12 the answer"))
        return
    answer = ctx.text.split(None, 2)[2]  # as typed, paragraphs kept
    await _relay(ctx, int(ctx.args[0].lstrip("#")), answer)


async def on_question_action(ctx: Context) -> None:
    args = ctx.args
    if len(args) == 2 and args[0] == "s" and args[1].isdigit():
        await send_to_staff(ctx, int(args[1]))
    elif len(args) == 3 and args[0] == "r" and args[1].isdigit() and args[2] in ("0", "1"):
        ok = await ctx.services.store.questions.rate(int(args[1]), ctx.member.id, int(args[2]))
        ctx.reply(ctx.t("Thank you for your feedback!") if ok else
                  ctx.t("That button is no longer valid. Type /menu to start again."))
    else:
        ctx.reply(ctx.t("That button is no longer valid. Type /menu to start again."))


async def on_entry_action(ctx: Context) -> None:
    if not ctx.args or not await show_entry(ctx, ctx.args[0]):
        ctx.reply(ctx.t("That button is no longer valid. Type /menu to start again."))


def register(router: Router) -> None:
    router.command(("hoi", "ask"), hoi, N_("Ask a question"))
    router.command(("traloi", "answer"), traloi, N_("Answer a farmer's question (staff)"), staff=True)
    router.action("f", on_entry_action)
    router.action("q", on_question_action)
    router.staff_chat = staff_reply
