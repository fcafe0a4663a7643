"""Vietnamese text helpers shared by every matcher.

People type with or without diacritics, in NFC or NFD, with zero-width
characters pasted from elsewhere and with repeated letters.  ``clean`` makes
text safe to store and show; ``fold`` gives the comparable form: lower case,
no diacritics (đ → d), single spaces, punctuation gone.
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u3000]+")
_NON_WORD = re.compile(r"[^\w\s]+", re.UNICODE)
_REPEAT = re.compile(r"(\w)\1{2,}", re.UNICODE)
_TONE = "\u0300\u0301\u0303\u0309\u0323"
# Old-style tone placement ("hủy", "hòa") → new style ("huỷ", "hoà") in open syllables.
_OLD_TONE = re.compile(rf"(?<![qQ])([oOuU])([{_TONE}])([aAeEyY])(?!\w)")

MAX_INPUT = 4000
"""Longest text the core reads from one message; the rest is ignored."""


def clean(text: str | None, limit: int = MAX_INPUT) -> str:
    """NFC, no invisible or control characters, trimmed, at most ``limit`` chars."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    return text.strip()[:limit]


def strip_marks(text: str) -> str:
    """Remove Vietnamese diacritics, keeping case; đ/Đ become d/D."""
    decomposed = unicodedata.normalize("NFD", text)
    out = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", out).replace("đ", "d").replace("Đ", "D")


def fold(text: str | None) -> str:
    """Comparable form: lower case, no diacritics, punctuation as spaces,
    letters repeated three times or more collapsed ("khôngggg" → "khong")."""
    text = clean(text).lower()
    text = strip_marks(text)
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    text = _REPEAT.sub(r"\1", text)
    return " ".join(text.split())


def same_tones(text: str) -> str:
    """One tone placement for "hủy"/"huỷ", "hòa"/"hoà", "khỏe"/"khoẻ" (NFC out)."""
    d = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", _OLD_TONE.sub(r"\1\3\2", d))


def lower_nfc(text: str | None) -> str:
    """Lower case with diacritics kept (one tone placement), punctuation as spaces."""
    text = same_tones(clean(text).lower())
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    return " ".join(text.split())


def has_marks(text: str) -> bool:
    """True when the text carries Vietnamese diacritics (or đ)."""
    return strip_marks(text) != text


def same_words(typed: str, phrase: str) -> bool:
    """Does what a person typed say ``phrase``?

    Without diacritics any accents match ("dung" is "dừng"); typed with
    diacritics they must be the right ones ("đúng" is not "dừng").
    """
    if has_marks(typed):
        return lower_nfc(typed) == lower_nfc(phrase)
    return fold(typed) == fold(phrase)


def shorten(text: str, limit: int = 60) -> str:
    """Text cut to ``limit`` characters with an ellipsis (button labels, quotes)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
