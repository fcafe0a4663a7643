"""Test doubles for external services used by the Nhà Nông test suite."""

from .telegram_api import Call, FakeTelegram, UploadedFile, parse_html

__all__ = ["Call", "FakeTelegram", "UploadedFile", "parse_html"]
