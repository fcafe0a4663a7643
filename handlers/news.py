"""News: the union's articles by topic, newest first, a page at a time; one
article at a time with next/back/related questions; search by words, with or
without diacritics (/tin vietgap, "tìm bài về mã vạch").  Every opening is
recorded, and the menu counts what is new since the person last looked."""

from __future__ import annotations

from datetime import timedelta

from bot.content import Article
from bot.engine import Context
from bot.i18n import N_, md_escape
from bot.router import Router
from bot.text import fold, shorten
from bot.types import Button

from . import faq

PAGE = 5
NEW_WINDOW = timedelta(days=30)  # "new" for someone who never looked



def _listing(ctx: Context, arts: list[Article], first: int) -> list[str]:
    """Titles with dates above the buttons; a text-only channel lists the buttons
    themselves as numbers, so it gets the dates only there."""
    if ctx.caps is not None and not ctx.caps.buttons:
        return []
    return [f"{i}\\. {md_escape(a.title)} — _{ctx.t.date(a.date)}_" for i, a in enumerate(arts, first)]


async def new_count(ctx: Context) -> int:
    """Articles dated on or after the person's last look that they have not opened."""
    return (await _fresh(ctx))[0]


async def _fresh(ctx: Context) -> tuple[int, bool]:
    """(new articles, whether the person has never looked at the news): for someone who
    never looked, "new" means the last ``NEW_WINDOW``, not "since you last looked"."""
    s = ctx.services
    seen, opened = await s.store.reads.news_state(ctx.member.id)
    since = seen or (s.clock.now() - NEW_WINDOW)
    day = since.astimezone(s.settings.zone).date()
    n = sum(1 for a in s.library.newest(ctx.t.locale) if a.date >= day and a.id not in opened)
    return n, seen is None


def _topic_label(ctx: Context, topic: str) -> str:
    if topic == "new":
        return ctx.t.plain("Latest articles")
    labels = ctx.services.library.topics.get(topic)
    return labels[ctx.t.locale] if labels else topic


async def news(ctx: Context) -> None:
    """/tin: topics to browse; /tin WORDS: search."""
    if ctx.args:
        await search(ctx)
        return
    t = ctx.t
    lib = ctx.services.library
    fresh, first = await _fresh(ctx)
    await ctx.services.store.reads.mark_seen(ctx.member.id, ctx.services.clock.now())
    rows = [[Button("🆕 " + t.plain("Latest articles"), "n:t:new:0")]]
    for tid in lib.topics:
        n = len(lib.newest(t.locale, tid))
        if n:
            rows.append([Button(f"{_topic_label(ctx, tid)} ({n})", f"n:t:{tid}:0")])
    text = t("**The union's news**\n\nChoose a topic. To search, type /tin and a word, for "
             "example /tin vietgap.")
    if fresh and first:
        text += "\n\n" + t("🆕 {n} article(s) from the last {days} days.", n=fresh,
                             days=NEW_WINDOW.days)
    elif fresh:
        text += "\n\n" + t("🆕 {n} new article(s) since you last looked.", n=fresh)
    ctx.reply(text, rows)


async def topic_page(ctx: Context, topic: str, page: int) -> None:
    t = ctx.t
    lib = ctx.services.library
    if topic != "new" and topic not in lib.topics:
        ctx.reply(t("That button is no longer valid. Type /menu to start again."))
        return
    arts = lib.newest(t.locale, None if topic == "new" else topic)
    pages = max(1, -(-len(arts) // PAGE))
    page = min(max(page, 0), pages - 1)
    ctx.state.data["news"] = {"topic": topic, "page": page}
    chunk = arts[page * PAGE : (page + 1) * PAGE]
    lines = [t("**{topic}** (page {page} of {pages})", topic=_topic_label(ctx, topic),
               page=page + 1, pages=pages), ""]
    lines += _listing(ctx, chunk, page * PAGE + 1)
    rows = [[Button(shorten(a.title), f"n:a:{a.id}")] for a in chunk]
    nav = []
    if page > 0:
        nav.append(Button("◀ " + t.plain("Previous"), f"n:t:{topic}:{page - 1}"))
    if page + 1 < pages:
        nav.append(Button(t.plain("Next") + " ▶", f"n:t:{topic}:{page + 1}"))
    if nav:
        rows.append(nav)
    rows.append([Button("↩ " + t.plain("All topics"), "n:home")])
    ctx.reply("\n".join(lines), rows)


async def open_article(ctx: Context, art: Article) -> None:
    t = ctx.t
    s = ctx.services
    await s.store.reads.record(ctx.member.id, art.id, s.clock.now())
    if art.image:
        ctx.reply(f"**{md_escape(art.title)}**", image=str(art.image))
    head = f"**{md_escape(art.title)}**\n_{t.date(art.date)}_"
    rows = [[Button(t.plain("Next article") + " ▶", f"n:x:{art.id}"),
             Button("↩ " + t.plain("Back"), f"n:b:{art.id}")]]
    if s.library.related_questions(art.id):
        rows.append([Button("❓ " + t.plain("Related questions"), f"n:q:{art.id}")])
    ctx.reply(f"{head}\n\n{art.body}", rows)


def _context_topic(ctx: Context, art: Article) -> str:
    topic = (ctx.state.data.get("news") or {}).get("topic")
    if topic == "new" or topic in art.topics:
        return topic
    return art.topics[0]


async def next_article(ctx: Context, art: Article) -> None:
    topic = _context_topic(ctx, art)
    arts = ctx.services.library.newest(ctx.t.locale, None if topic == "new" else topic)
    ids = [a.id for a in arts]
    i = ids.index(art.id) if art.id in ids else -1
    if i + 1 < len(arts):
        await open_article(ctx, arts[i + 1])
    else:
        ctx.reply(ctx.t("That was the last article in this topic."),
                  [[Button("↩ " + ctx.t.plain("All topics"), "n:home")]])


async def back(ctx: Context, art: Article) -> None:
    topic = _context_topic(ctx, art)
    arts = ctx.services.library.newest(ctx.t.locale, None if topic == "new" else topic)
    ids = [a.id for a in arts]
    await topic_page(ctx, topic, ids.index(art.id) // PAGE if art.id in ids else 0)


async def related(ctx: Context, art: Article) -> None:
    lib = ctx.services.library
    rows = []
    for fid in lib.related_questions(art.id)[:5]:
        entry = lib.faq_entry(fid, ctx.t.locale)
        if entry:
            rows.append([Button("❓ " + shorten(entry.question), f"f:{fid}")])
    rows.append([Button("↩ " + ctx.t.plain("Back to the article"), f"n:a:{art.id}"),
                 Button(ctx.t.plain("All topics"), "n:home")])
    ctx.reply(ctx.t("Questions about “{title}”:", title=art.title), rows)


async def search(ctx: Context) -> None:
    t = ctx.t
    query = " ".join(ctx.args)[:100]
    if not query.strip():
        await news(ctx)
        return
    found = ctx.services.library.search(query, t.locale, limit=PAGE)
    if not found:
        ctx.reply(t("I found no article about “{query}”. Try other words, or browse the "
                    "topics with /tin.", query=query))
        return
    lines = [t("Articles about “{query}”:", query=query), ""]
    lines += _listing(ctx, found, 1)
    rows = [[Button(shorten(a.title), f"n:a:{a.id}")] for a in found]
    rows.append([Button("↩ " + t.plain("All topics"), "n:home")])
    ctx.reply("\n".join(lines), rows)


async def on_action(ctx: Context) -> None:
    args = ctx.args
    lib = ctx.services.library
    if args == ["home"]:
        ctx.args = []
        await news(ctx)
        return
    if len(args) == 3 and args[0] == "t" and args[2].isdigit():
        await topic_page(ctx, args[1], int(args[2]))
        return
    art = lib.article(args[1], ctx.t.locale) if len(args) == 2 else None
    handler = {"a": open_article, "x": next_article, "b": back, "q": related}.get(args[0] if args else "")
    if art is None or handler is None:
        ctx.reply(ctx.t("That article is no longer available. Type /tin to see the news."))
        return
    await handler(ctx, art)


_ARTICLE_WORDS = ("tim bai", "tim tin")  # ask for articles by name; "tìm kiếm", "tra cứu" do not


async def typed_search(ctx: Context) -> None:
    """Free text that starts with a search phrase.  "tìm bài …", "tìm tin …" ask for
    articles; "tìm kiếm …", "tra cứu …" often begin a question ("tra cứu mã vạch ở đâu",
    "tìm kiếm đầu ra cho vải"): a confident FAQ answer wins, then articles, and with
    neither the question goes to the FAQ's "not sure" answer (suggestions, staff)."""
    if fold(ctx.text).startswith(_ARTICLE_WORDS) or not ctx.args:
        await search(ctx)
        return
    s = ctx.services
    answer = s.faq.answer(ctx.text, ctx.t.locale)
    if answer.id is None and s.library.search(" ".join(ctx.args)[:100], ctx.t.locale, limit=1):
        await search(ctx)
    else:
        await faq.ask(ctx, ctx.text)


def register(router: Router) -> None:
    router.command(("tin", "news"), news, N_("The union's news; /tin WORD searches"),
                   keywords=("tin tức", "tin", "đọc tin", "bản tin", "xem tin", "news"))
    router.prefix(("tìm bài về", "tìm bài", "tìm tin về", "tìm tin", "tìm kiếm", "tra cứu"),
                  typed_search)
    router.action("n", on_action)
