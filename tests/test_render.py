"""Rendering replies for a channel's capabilities."""

from __future__ import annotations

from bot.i18n import md_escape
from bot.render import render, utf16_len
from bot.types import Button, Reply
from tests.helpers import BUTTONS, TEXT_ONLY


def test_html_typed_by_a_person_shows_as_typed():
    name = "<b>Tèo</b> & *bạn*"
    [tg] = render(Reply(f"Chào **{md_escape(name)}**"), BUTTONS)
    assert tg.text == "Chào <b>&lt;b&gt;Tèo&lt;/b&gt; &amp; *bạn*</b>"
    [plain] = render(Reply(f"Chào **{md_escape(name)}**"), TEXT_ONLY)
    assert plain.text == "Chào <b>Tèo</b> & *bạn*"


def test_markdown_subset_for_telegram():
    md = "### Tiêu đề\n\nĐoạn **đậm** và _nghiêng_ với [liên kết](https://ocop.gov.vn).\n\n- một\n- hai"
    [m] = render(Reply(md), BUTTONS)
    assert m.text == (
        "<b>Tiêu đề</b>\n\nĐoạn <b>đậm</b> và <i>nghiêng</i> với "
        '<a href="https://ocop.gov.vn">liên kết</a>.\n\n• một\n• hai'
    )


def test_long_text_splits_on_paragraphs_within_the_limit():
    paras = [f"Đoạn {i}: " + "chữ " * 120 for i in range(30)]
    out = render(Reply("\n\n".join(paras)), TEXT_ONLY)
    assert len(out) > 1
    assert all(utf16_len(m.text) <= 2000 for m in out)
    assert all(m.text.startswith("Đoạn ") for m in out)  # each chunk starts a paragraph
    joined = "\n\n".join(m.text for m in out)
    assert joined.count("Đoạn ") == 30


def test_one_huge_paragraph_still_fits_and_keeps_html_valid():
    out = render(Reply("**" + "<x> " * 3000 + "**"), BUTTONS)
    assert all(utf16_len(m.text) <= 4096 for m in out)
    assert all("<x>" not in m.text for m in out)  # escaped, never raw


def test_emoji_count_double_against_telegram_limit():
    out = render(Reply("🌾" * 3000), BUTTONS)
    assert all(utf16_len(m.text) <= 4096 for m in out) and len(out) == 2


def test_buttons_on_the_last_message_only():
    out = render(Reply("x\n\n" + ("y " * 1500 + "\n\n") * 4, [[Button("A", "a")]]), BUTTONS)
    assert len(out) > 1 and out[-1].buttons and not any(m.buttons for m in out[:-1])


def test_buttons_become_a_numbered_list_on_text_only_channels():
    [m] = render(Reply("Chọn:", [[Button("Có", "y"), Button("Không", "n")]]), TEXT_ONLY,
                 hint="Gõ số")
    assert m.text == "Chọn:\n\n1. Có\n2. Không\n\nGõ số"
    assert m.buttons == ()


def test_a_question_that_wants_words_lists_its_ways_out_as_words_not_numbers():
    """"Bạn ở xã nào? Gõ tên…" with only a Skip button: no "type the number" under it."""
    reply = Reply("Bạn ở xã hoặc phường nào? Gõ tên xã/phường.", [[Button("Bỏ qua", "pf:skip")]])
    [m] = render(reply, TEXT_ONLY, hint="Gõ số", words_hint="Hoặc gõ chữ trên.",
                 ways_out=frozenset({"Bỏ qua", "Hủy"}))
    assert m.text == "Bạn ở xã hoặc phường nào? Gõ tên xã/phường.\n\n• Bỏ qua\n\nHoặc gõ chữ trên."
    # A real choice among others keeps its numbers.
    [m] = render(Reply("Chọn:", [[Button("Có", "y")], [Button("Bỏ qua", "s")]]), TEXT_ONLY,
                 hint="Gõ số", words_hint="Hoặc gõ chữ trên.", ways_out=frozenset({"Bỏ qua"}))
    assert "1. Có\n2. Bỏ qua\n\nGõ số" in m.text


async def test_the_commune_question_on_a_text_channel_asks_for_no_number(textbot):
    await textbot.say("/start")
    out = "\n\n".join(m.text for m in await textbot.say("1"))  # "Điền hồ sơ"
    assert "xã hoặc phường" in out
    assert "số thứ tự" not in out and "• Bỏ qua" in out
    out = "\n\n".join(m.text for m in await textbot.say("son dong"))  # the role question
    assert "1. Hội viên nông dân" in out and "Gõ số thứ tự để chọn" in out
