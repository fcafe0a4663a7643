"""Phone numbers: typed the Vietnamese way or shared from the app, stored in E.164."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat


def parse_phone(text: str | None, region: str = "VN") -> str | None:
    """E.164 (``+84912345678``) for a valid number, else None.

    Accepts "0912 345 678", "0912.345.678", "+84 912 345 678" and the bare
    "84912345678" that a platform sends for a shared contact.
    """
    if not text:
        return None
    raw = text.strip()
    if len(raw) > 32 or not re.fullmatch(r"[\d\s().+\-]+", raw):
        return None
    digits = re.sub(r"\D", "", raw)
    if not raw.startswith("+") and digits.startswith("84") and len(digits) >= 11:
        raw = "+" + digits
    try:
        num = phonenumbers.parse(raw, region)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(num):
        return None
    return phonenumbers.format_number(num, PhoneNumberFormat.E164)


def show_phone(e164: str) -> str:
    """How people read the number: national format for Vietnam, international otherwise."""
    try:
        num = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    fmt = PhoneNumberFormat.NATIONAL if num.country_code == 84 else PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(num, fmt)
