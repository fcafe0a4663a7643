"""What the bot says, across areas: one voice ("mình" for the bot, "bạn" for the person),
no "bấm" on channels without buttons, no English or internal words leaking into
Vietnamese replies, and a quiet terminal chat (issue #13)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.app import build_router, command_lists
from bot.content import load_library
from tests.helpers import BUTTONS, TEXT_ONLY, Harness, text_of

ROOT = Path(__file__).resolve().parent.parent
VI = ROOT / "bot" / "locales" / "vi" / "LC_MESSAGES" / "messages.po"

# What a person types or sees quoted (“tôi muốn…”, _ví dụ_, `code`) is not the bot speaking.
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|_[^_]+_|`[^`]+`")
_TOI = re.compile(r"(?<!\w)(tôi|chúng tôi)(?!\w)", re.IGNORECASE)
_PRESS = re.compile(r"(?<!\w)(bấm|nhấn)(?!\w)", re.IGNORECASE)
# Said only where the code has checked that the channel has buttons.
BUTTON_CHANNELS_ONLY = {
    "Press the buttons under my messages, or type a command:",  # handlers/menu.py
    "**Attendance** — press a name to mark them present (✅) or absent (❌).",  # courses.py
}


def _vi_messages() -> list[tuple[str, str]]:
    with VI.open("rb") as fh:
        cat = read_po(fh, locale="vi")
    return [(m.id, m.string) for m in cat if m.id and m.string]


def _unquoted(text: str) -> str:
    return _QUOTED.sub(" ", text)


def test_the_bot_never_speaks_as_toi_in_the_vietnamese_catalog():
    speaking = [(i, s) for i, s in _vi_messages() if _TOI.search(_unquoted(s))]
    assert speaking == []


def test_the_bot_never_speaks_as_toi_in_faq_answers_and_articles():
    lib = load_library(ROOT / "content")
    texts = [(e.id, e.answer) for e in lib.faq["vi"].values()]
    texts += [(a.id, a.body) for a in lib.articles["vi"].values()]
    assert [i for i, text in texts if _TOI.search(_unquoted(text))] == []


def test_no_vietnamese_message_tells_a_text_only_channel_to_press():
    pressing = [(i, s) for i, s in _vi_messages()
                if _PRESS.search(s) and i not in BUTTON_CHANNELS_ONLY]
    assert pressing == []


@pytest.mark.parametrize(("caps", "press"), [(BUTTONS, True), (TEXT_ONLY, False)])
async def test_help_fits_the_channel(tmp_path, caps, press):
    h = await Harness(tmp_path, caps).open()
    try:
        text = text_of(await h.say("/trogiup"))
        assert ("bấm các nút" in text) is press
        assert ("gõ số thứ tự" in text) is not press
    finally:
        await h.close()


async def test_help_shows_english_commands_to_english_readers(bot):
    await bot.say("/menu")
    member = await bot.member()
    await bot.app.store.members.update(member.id, locale="en")
    text = text_of(await bot.say("/help"))
    assert "/news —" in text and "/start —" in text and "/tin —" not in text


def test_the_english_command_list_shows_start_not_batdau():
    default, staff = command_lists(build_router())
    for lists in (default, staff):
        en = [name for name, _ in lists["en"]]
        assert "start" in en and "batdau" not in en
        assert "news" in en and "tin" not in en
        assert "start" in [name for name, _ in lists["vi"]]


def test_the_terminal_chat_opens_without_log_lines(tmp_path):
    env = {**os.environ, "NHANONG_DB": str(tmp_path / "chat.db"), "NHANONG_LOG_LEVEL": "INFO"}
    p = subprocess.run([sys.executable, "-m", "bot", "chat"], input="/start\n", text=True,
                       capture_output=True, env=env, cwd=tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "applied migration" not in p.stderr + p.stdout
    assert " INFO " not in p.stderr
    assert "Mình là" in p.stdout
