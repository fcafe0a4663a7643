"""Reading the news in the chat: topics, pages, articles, search, what is new."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime
from pathlib import Path

from tests.helpers import Harness, actions_of, labels_of, text_of

SHIPPED = Path(__file__).resolve().parent.parent / "content"


async def test_news_lists_topics_with_counts(bot):
    out = await bot.say("/tin")
    assert "Tin tức của Hội" in text_of(out)
    acts = actions_of(out)
    assert acts[0] == "n:t:new:0" and "n:t:ocop:0" in acts
    assert any(label.startswith("OCOP (") for label in labels_of(out))


async def test_news_keyword_with_and_without_accents(bot):
    assert "Tin tức của Hội" in text_of(await bot.say("tin tức"))
    assert "Tin tức của Hội" in text_of(await bot.say("tin tuc"))


async def test_topic_pages_newest_first(bot):
    out = await bot.press("n:t:ocop:0")
    text = text_of(out)
    assert "OCOP" in text and "trang 1/" in text
    dates = [datetime.strptime(d, "%d/%m/%Y") for d in
             __import__("re").findall(r"(\d\d/\d\d/\d{4})", text)]
    assert len(dates) == 5 and dates == sorted(dates, reverse=True)
    assert "n:t:ocop:1" in actions_of(out)
    out2 = await bot.press("n:t:ocop:1")
    first_page = [a for a in actions_of(out) if a.startswith("n:a:")]
    second_page = [a for a in actions_of(out2) if a.startswith("n:a:")]
    assert second_page and not set(first_page) & set(second_page)
    assert "n:t:ocop:0" in actions_of(out2)  # previous


async def test_open_article_shows_title_date_body_and_records_the_read(bot):
    out = await bot.press("n:a:ocop-tieu-chi-va-hang-sao")
    text = text_of(out)
    assert "<b>Sản phẩm OCOP được chấm điểm và xếp sao thế nào?</b>" in text
    assert "06/10/2025" in text  # Vietnamese date format
    assert "Phần A" in text
    assert {"n:x:ocop-tieu-chi-va-hang-sao", "n:b:ocop-tieu-chi-va-hang-sao",
            "n:q:ocop-tieu-chi-va-hang-sao"} <= set(actions_of(out))
    m = await bot.member()
    assert await bot.app.store.reads.opened(m.id) == {"ocop-tieu-chi-va-hang-sao"}


async def test_next_and_back_follow_the_topic_being_read(bot):
    out = await bot.press("n:t:htx:0")
    arts = [a for a in actions_of(out) if a.startswith("n:a:")]
    await bot.press(arts[0])
    out = await bot.press("n:x:" + arts[0][4:])
    second = bot.app.services.library.article(arts[1][4:])
    assert second.title in text_of(out)
    out = await bot.press("n:x:" + arts[-1][4:])
    assert "bài cuối cùng" in text_of(out)
    out = await bot.press("n:b:" + arts[0][4:])
    assert "trang 1/" in text_of(out)


async def test_related_questions_open_faq_answers(bot):
    out = await bot.press("n:q:ocop-tieu-chi-va-hang-sao")
    acts = actions_of(out)
    assert "f:ocop.criteria" in acts
    out = await bot.press("f:ocop.criteria")
    assert "40" in text_of(out) and "35" in text_of(out)


async def test_search_by_command_and_by_sentence(bot):
    out = await bot.say("/tin vietgap")
    assert actions_of(out)[0] == "n:a:vietgap-chung-nhan"
    out = await bot.say("tìm bài về mã vạch")
    assert actions_of(out)[0] == "n:a:truy-xuat-nguon-goc-ma-vach-nhan-hieu"
    out = await bot.say("tim bai ve ma vach")
    assert actions_of(out)[0] == "n:a:truy-xuat-nguon-goc-ma-vach-nhan-hieu"
    out = await bot.say("/tin thời tiết ngày mai")
    assert "chưa tìm thấy" in text_of(out)


async def test_menu_counts_new_articles_until_looked(bot):
    # The clock is 2026-11-30; the newest shipped article is dated in November.
    bot.clock.set(datetime(2026, 11, 30, 2, 0, tzinfo=UTC))
    out = await bot.say("/menu")
    assert "bài mới" in labels_of(out)[0]
    await bot.say("/tin")
    out = await bot.say("/menu")
    label = labels_of(out)[0]
    # Articles dated today would still count; none is, so nothing is new now.
    assert label == "📰 Tin tức", label


async def test_staff_see_what_is_read(bot):
    await bot.press("n:a:vietgap-chung-nhan", user="a")
    await bot.press("n:a:vietgap-chung-nhan", user="b")
    await bot.press("n:a:ocop-la-gi", user="a")
    out = await bot.say("/thongke", user="staff1")
    assert "VietGAP: làm thế nào để được chứng nhận?: 2" in text_of(out)


async def test_stale_article_button(bot):
    out = await bot.press("n:a:bai-da-xoa")
    assert "không còn nữa" in text_of(out)


async def test_text_only_channel_lists_articles_as_numbers(textbot):
    out = await textbot.say("/tin")
    assert "1. 🆕 Bài mới nhất" in text_of(out)
    out = await textbot.say("2")  # the first topic
    assert "trang 1/" in text_of(out)
    out = await textbot.say("1")  # its first article
    assert "Bài tiếp" in text_of(out)


async def test_hot_reload_takes_good_edits_and_keeps_old_content_on_bad_ones(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(SHIPPED, content)
    h = await Harness(tmp_path, NHANONG_CONTENT=str(content)).open()
    try:
        path = content / "articles" / "vi" / "vietgap-chung-nhan.md"
        good = path.read_text(encoding="utf-8")
        path.write_text(good.replace("VietGAP: làm thế nào", "VietGAP MỚI: làm thế nào"),
                        encoding="utf-8")
        assert await h.app.reload_content()
        assert "VietGAP MỚI" in text_of(await h.press("n:a:vietgap-chung-nhan"))
        path.write_text(good.replace("topics: [", "topics: [khongco, "), encoding="utf-8")
        assert not await h.app.reload_content()  # refused, logged
        assert "VietGAP MỚI" in text_of(await h.press("n:a:vietgap-chung-nhan"))
    finally:
        await h.close()


async def test_the_content_watcher_survives_a_file_it_cannot_read_and_reloads_the_next_edit(
        tmp_path, monkeypatch):
    import bot.app

    loop = asyncio.get_running_loop()
    looked = asyncio.Event()
    signature = bot.app.signature

    faults: list[Exception] = []

    def seen(root):  # the watcher's look at the folder (in a thread)
        try:
            if faults:
                raise faults.pop()
            return signature(root)
        finally:
            loop.call_soon_threadsafe(looked.set)

    monkeypatch.setattr(bot.app, "signature", seen)
    content = tmp_path / "content"
    shutil.copytree(SHIPPED, content)
    h = await Harness(tmp_path, NHANONG_CONTENT=str(content)).open()
    results: asyncio.Queue[bool] = asyncio.Queue()
    reload = h.app.reload_content

    async def watched() -> bool:
        ok = await reload()
        results.put_nowait(ok)
        return ok

    h.app.reload_content = watched
    watcher = loop.create_task(h.app.watch_content(every=0.01))

    async def next_reload() -> bool:
        """What the watcher's next reload gave; fails at once if the watcher died."""
        got = asyncio.ensure_future(results.get())
        done, _ = await asyncio.wait({got, watcher}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
        if got not in done:
            got.cancel()
            raise AssertionError(f"the watcher stopped: {watcher.exception() if watcher.done() else 'hung'}")
        return got.result()

    try:
        await asyncio.wait_for(looked.wait(), 60)  # its first look: what later looks compare with
        deep = content / "faq" / "vi" / "sau.yaml"
        deep.write_text("- id: x.deep\n  question: Sâu\n  variants: " + "[" * 500 + "]" * 500 + "\n",
                        encoding="utf-8")
        assert await next_reload() is False  # refused, the old content kept
        looked.clear()
        faults.append(FileNotFoundError("a file went away while the folder was read"))
        await asyncio.wait_for(looked.wait(), 60)  # that look failed (logged)
        deep.unlink()
        path = content / "articles" / "vi" / "vietgap-chung-nhan.md"
        path.write_text(path.read_text(encoding="utf-8").replace(
            "VietGAP: làm thế nào", "VietGAP MỚI: làm thế nào"), encoding="utf-8")
        while not await next_reload():  # the deletion and the edit may be seen apart
            pass
        assert "VietGAP MỚI" in text_of(await h.press("n:a:vietgap-chung-nhan"))
    finally:
        watcher.cancel()
        await h.close()


def test_content_signature_changes_when_a_file_changes(tmp_path):
    from bot.content import signature

    content = tmp_path / "c"
    shutil.copytree(SHIPPED, content)
    before = signature(content)
    (content / "articles" / "vi" / "new.md").write_text("x")
    assert signature(content) != before


async def test_related_questions_have_a_way_back_to_the_article(bot):
    out = await bot.press("n:q:ocop-tieu-chi-va-hang-sao")
    assert "n:a:ocop-tieu-chi-va-hang-sao" in actions_of(out) and "n:home" in actions_of(out)
    assert "↩ Quay lại bài viết" in labels_of(out)
    back = await bot.press("n:a:ocop-tieu-chi-va-hang-sao")
    title = bot.app.services.library.article("ocop-tieu-chi-va-hang-sao").title
    assert title in text_of(back)


async def test_a_first_time_reader_is_not_told_since_you_last_looked(bot):
    bot.clock.set(datetime(2026, 11, 30, 2, 0, tzinfo=UTC))
    first = text_of(await bot.say("/tin"))
    assert "từ lần trước bạn xem" not in first and "trong 30 ngày qua" in first
    bot.clock.set(datetime(2026, 12, 30, 2, 0, tzinfo=UTC))
    again = text_of(await bot.say("/tin"))  # a second look: nothing new since the first
    assert "trong 30 ngày qua" not in again


async def test_search_words_that_begin_a_question_go_to_the_faq(bot):
    # "tra cứu …" and "tìm kiếm …" are often the start of a question, not a search.
    out = text_of(await bot.say("tra cuu ma vach san pham o dau"))
    assert "Bài viết về" not in out and "Mã vạch" in out
    out = text_of(await bot.say("tìm kiếm đầu ra cho vải thiều thế nào"))
    assert "chưa tìm thấy bài nào" not in out
    # "tìm bài …" still searches the articles.
    assert actions_of(await bot.say("tìm bài về mã vạch"))[0].startswith("n:a:")
