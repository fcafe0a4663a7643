"""Unit tests: text helpers, communes, phones, configuration, catalogs."""

from __future__ import annotations

import re

import pytest

from bot.config import ConfigError, load_settings
from bot.geo import communes_of
from bot.i18n import Translator, catalog
from bot.phone import parse_phone, show_phone
from bot.text import clean, fold, same_words


# -- text ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Sơn Động", "son dong"),
        ("ĐĂNG KÝ TẬP HUẤN", "dang ky tap huan"),
        ("đc khôngggg", "dc khong"),
        ("Xã\u200b Sơn\u00a0Động!!!", "xa son dong"),
        ("So\u0301n", "son"),  # NFD input
    ],
)
def test_fold(typed, folded):
    assert fold(typed) == folded


def test_clean_strips_invisible_and_control_characters_and_limits_length():
    assert clean("\ufeff  Tèo\u200d\x07 ") == "Tèo"
    assert len(clean("a" * 10_000)) == 4000


def test_same_words_accents_optional_but_never_wrong():
    assert same_words("dung", "dừng")
    assert same_words("DỪNG", "dừng")
    assert same_words("huỷ", "hủy")  # old and new tone placement
    assert not same_words("đúng", "dừng")


# -- communes ------------------------------------------------------------------------
def test_province_has_99_communes_and_wards():
    communes = communes_of("Bắc Ninh")
    kinds = [c.kind for c in communes]
    assert len(communes) == 99 and kinds.count("xã") == 66 and kinds.count("phường") == 33


@pytest.mark.parametrize("typed", ["xa son dong", "Sơn Động", "son dong", "X. Sơn Động", "sơn động"])
def test_commune_exact_whatever_the_typing(typed):
    assert communes_of("bac ninh").match(typed).exact.name == "Xã Sơn Động"


def test_commune_typo_and_partial_give_candidates():
    c = communes_of("Bắc Ninh")
    assert [x.name for x in c.match("hiep hao").candidates] == ["Xã Hiệp Hoà"]
    assert "Xã Sơn Động" in [x.name for x in c.match("son").candidates]
    assert c.match("thành phố Hồ Chí Minh").candidates == ()
    assert c.match("").exact is None


# -- phones ----------------------------------------------------------------------------
@pytest.mark.parametrize("typed", ["0912 345 678", "0912.345.678", "+84 912 345 678", "84912345678"])
def test_phone_typed_any_way_is_stored_e164(typed):
    assert parse_phone(typed) == "+84912345678"
    assert show_phone("+84912345678") == "0912 345 678"


@pytest.mark.parametrize("typed", ["", "12345", "abc", "0912 345 678 999 999", "<b>0912</b>"])
def test_bad_phones_are_refused(typed):
    assert parse_phone(typed) is None


# -- configuration ------------------------------------------------------------------
def test_defaults(tmp_path):
    s = load_settings({}, file=tmp_path / "none.toml")
    assert s.locale == "vi" and s.tz == "Asia/Ho_Chi_Minh" and s.channels["telegram"].rate == 25
    assert s.quiet_hours is not None and s.quiet_hours[0].hour == 21
    assert s.channels["telegram"].token is None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("NHANONG_TZ", "Asia/Hanoii"),
        ("TELEGRAM_RATE", "fast"),
        ("TELEGRAM_RATE", "0"),
        ("NHANONG_ADMINS", "12345"),
        ("NHANONG_QUIET_HOURS", "9pm-6am"),
        ("NHANONG_LOCALE", "fr"),
        ("NHANONG_APPROVAL", "maybe"),
        ("TELEGRAM_BOT_TOKEN", "not a token"),
        ("TELEGRAM_BASE_URL", "ftp://x"),
        ("NHANONG_PROVINCE", "Atlantis"),
    ],
)
def test_bad_value_names_the_key(tmp_path, key, value):
    with pytest.raises(ConfigError, match=f"^{key}: "):
        load_settings({key: value}, file=tmp_path / "none.toml")


def test_toml_file_and_env_precedence(tmp_path):
    f = tmp_path / "nhanong.toml"
    f.write_text('NHANONG_LOCALE = "en"\nTELEGRAM_RATE = 10\nNHANONG_QUIET_HOURS = ""\n')
    s = load_settings({"TELEGRAM_RATE": "5"}, file=f)
    assert s.locale == "en" and s.channels["telegram"].rate == 5 and s.quiet_hours is None


def test_unknown_toml_key_is_refused(tmp_path):
    f = tmp_path / "nhanong.toml"
    f.write_text('NHANONG_LOCAL = "en"\n')
    with pytest.raises(ConfigError, match="NHANONG_LOCAL"):
        load_settings({}, file=f)


def test_token_is_never_printed(tmp_path):
    s = load_settings({"TELEGRAM_BOT_TOKEN": "123:SECRETSECRET"}, file=tmp_path / "x.toml")
    assert "SECRETSECRET" not in repr(s) and "SECRETSECRET" not in str(s)


# -- catalogs ---------------------------------------------------------------------------
def _msgids() -> list[str]:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    from catalog import extract

    return list(extract())


def test_every_message_has_a_vietnamese_translation():
    vi = catalog("vi")
    missing = [m for m in _msgids() if m not in vi]
    assert missing == []


def test_translations_keep_the_placeholders():
    vi = catalog("vi")
    for msgid in _msgids():
        assert set(re.findall(r"\{\w+\}", msgid)) == set(re.findall(r"\{\w+\}", vi[msgid])), msgid


def test_values_are_escaped_but_labels_are_not():
    t = Translator("vi")
    assert "\\<b\\>" in t("Saved: {name}.", name="<b>")
    assert t.plain("Saved: {name}.", name="<b>") == "Đã lưu: <b>."


def test_vietnamese_formats():
    from datetime import UTC, datetime

    t = Translator("vi")
    when = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    assert t.date(when) == "02/03/2026"
    assert t.datetime(when) == "08:30 ngày 02/03/2026"  # shown in Asia/Ho_Chi_Minh
    assert t.number(1234567) == "1.234.567"
