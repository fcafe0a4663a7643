"""Messages that are no question for the FAQ: greetings, thanks, acknowledgements, a
bare number, and questions about market prices or the weather, which the bot has no
data for.  Each gets its own short answer instead of "did you mean…" suggestions.

Greetings, thanks and acknowledgements are recognised only when the whole message is
made of such words ("xin chào", "cam on nhe", "ok bạn", "🙏"): "chào bạn, ocop là gì"
stays a question.  Prices need the word "giá" used as a price ("giá lúa hôm nay", "gia
tieu bao nhieu"), never "tham gia", "đánh giá", "giá trị" or "gia hạn".
"""

from __future__ import annotations

import re
import unicodedata

from ..text import fold, lower_nfc

GREETING = "greeting"
THANKS = "thanks"
ACK = "ack"
BYE = "bye"
NUMBER = "number"
UNCLEAR = "unclear"  # "???", "..."
PRICE = "price"
WEATHER = "weather"

# Folded words; a message of these words only is small talk.  Which kind: the first
# kind (thanks, bye, greeting, ack) whose cue phrase appears.
_CUES = (
    (THANKS, ("cam on", "cam ta", "thanks", "thank", "tks", "thks", "thx", "da ta")),
    (BYE, ("tam biet", "bye", "bai bai", "goodbye", "hen gap lai")),
    (GREETING, ("chao", "hi", "hello", "helo", "alo", "a lo", "hey", "good morning", "he lo")),
    (ACK, ("ok", "oke", "okay", "okie", "oki", "okela", "u", "uh", "um", "ukm", "uk", "uhm",
           "vang", "da", "duoc", "dc", "roi", "hieu roi", "biet roi", "ro roi", "tot", "hay qua",
           "tuyet", "good", "great", "yes", "co")),
)
# Words that may go with them: particles, how people address the bot, "nhiều", "lắm".
_FILLER = {"a", "nhe", "nha", "nhen", "nghe", "nghen", "hen", "nhi", "ne", "oi", "nhieu", "lam",
           "rat", "qua", "nhiu", "ban", "bot", "ad", "admin", "em", "anh", "chi", "chu", "bac",
           "minh", "chau", "con", "ca", "nong", "moi", "nguoi", "vay", "the", "thi",
           "luon", "nua", "buoi", "sang", "chieu", "toi", "xin", "cac", "you", "so", "much",
           "very", "all", "ah", "hieu", "biet", "ro", "gap", "lai"}
_WORDS = {w for _, cues in _CUES for c in cues for w in c.split()} | _FILLER

# Prices: "giá" as a price, next to a product or a time ("giá lúa", "giá hôm nay").
_NOT_PRICE_BEFORE = {"tham", "danh", "quoc", "chuyen", "duoc", "dc", "mat", "nang", "ep", "tang",
                     "ha", "dinh", "nha", "thanh", "ban"}
_NOT_PRICE_AFTER = {"tri", "han", "dinh", "nhap", "tang", "lai", "su", "cong", "phat", "dung", "vi",
                    "hon", "suc", "re", "tot", "ban", "thanh", "tien"}
_PRODUCTS = {"lua", "gao", "tieu", "heo", "lon", "ga", "vit", "bo", "trau", "vai", "nhan", "cam",
             "buoi", "chuoi", "xoai", "sau", "ngo", "bap", "san", "khoai", "che", "tra", "rau",
             "dua", "phan", "thuc", "cao", "dieu", "mia", "trung", "tom", "mat", "sua", "dau",
             "nong", "ca", "cafe", "cf", "hat", "thit", "thoc", "xang", "thi", "hom", "hien",
             "moi", "vat"}
_PRICE_TIME = ("hom nay", "bao nhieu", "hien nay", "hien tai", "thi truong", "moi nhat", "nam nay",
               "tuan nay", "thang nay", "bn", "bnhieu", "hnay")
_WEATHER = ("thoi tiet", "khi tuong", "troi mua", "troi nang", "ret dam", "ret hai")
_WEATHER_WORDS = re.compile(r"(?<!\w)(mưa|bão|nắng|rét|dự báo)(?!\w)")
_WEATHER_TIME = ("mai", "hom nay", "hnay", "tuan nay", "toi nay", "sap", "bao gio", "khi nao",
                 "co khong", "co ko", "khong a")


def _only_symbols(text: str) -> bool:
    """Emoji, punctuation and the like, no letter or digit ("🙏", "👍👍", "!!")."""
    stripped = [c for c in text if not c.isspace()]
    return bool(stripped) and all(unicodedata.category(c)[0] in "SPCMZ" for c in stripped)


def classify(text: str) -> str | None:
    """The kind of small talk ``text`` is, or None for anything else (a question)."""
    raw = text.strip()
    if not raw:
        return None
    if _only_symbols(raw):
        return UNCLEAR if "?" in raw or not any(unicodedata.category(c) == "So" for c in raw) \
            else ACK
    if re.sub(r"[\s.,+]", "", raw).isdigit():
        return NUMBER
    folded = fold(raw)
    words = folded.split()
    if not words:
        return None
    padded = f" {folded} "
    accented = lower_nfc(raw)
    if any(f" {w} " in padded for w in _WEATHER) or (
            _WEATHER_WORDS.search(accented) and any(f" {w} " in padded for w in _WEATHER_TIME)):
        return WEATHER
    if _price(words, accented.split(), padded):
        return PRICE
    if len(words) <= 8 and all(w in _WORDS for w in words):
        for kind, cues in _CUES:
            if any(f" {c} " in padded for c in cues):
                return kind
    return None


def _price(words: list[str], typed: list[str], padded: str) -> bool:
    aligned = len(typed) == len(words)  # the same syllables, accents as typed
    for i, w in enumerate(words):
        if w != "gia" or (aligned and fold(typed[i]) == "gia" and typed[i] not in ("gia", "giá")):
            continue  # "già", "giả", "gìa" are other words
        before = words[i - 1] if i else ""
        after = words[i + 1] if i + 1 < len(words) else ""
        if before in _NOT_PRICE_BEFORE or after in _NOT_PRICE_AFTER:
            continue
        if aligned and typed[i] == "gia" and any(t != fold(t) for t in typed):
            continue  # typed with accents elsewhere, "gia" without: "tham gia", "gia đình"
        if after in _PRODUCTS or any(f" {p} " in padded for p in _PRICE_TIME):
            return True
    return False
