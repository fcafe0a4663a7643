"""One driver interface over the fake Telegram and fake Zalo servers, so that the
same end-to-end scenarios run against both channels.

A scenario talks as a person would: ``command``, ``say``, ``choose`` an offered
option by its label (a button press on Telegram, the option's number typed on
Zalo), ``share_phone``; and reads what came back with ``wait_for_sent`` and
``texts`` (plain text as the person sees it).
"""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo


class _Driver:
    """What both drivers do alike (the fakes share these methods)."""

    fake: Any

    def texts(self, user: Any) -> list[str]:
        raise NotImplementedError

    async def wait_for_sent(self, user: Any, count: int) -> list[str]:
        await self.fake.wait_for_sent(user, count)
        return self.texts(user)

    def failed_sends(self) -> list:
        return [c for c in self.fake.calls_to("sendMessage") if not c.ok]

    def ok_sends(self) -> int:
        return len([c for c in self.fake.calls_to("sendMessage") if c.ok])

    async def post_webhook(self, url: str, update: Any, secret: str | None) -> int:
        return await self.fake.post_webhook(url, update, secret)


class TelegramDriver(_Driver):
    name = "telegram"

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake

    def user(self, n: int) -> int:
        return 4242 + n

    def env(self) -> dict[str, str]:
        return {"TELEGRAM_BOT_TOKEN": self.fake.token, "TELEGRAM_BASE_URL": self.fake.base_url}

    def webhook_env(self, path: str, secret: str) -> dict[str, str]:
        return {"NHANONG_WEBHOOK_URL": f"https://bot.example.vn{path}",
                "NHANONG_WEBHOOK_SECRET": secret}

    def command(self, user: Any, text: str, name: str = "Nông") -> Any:
        return self.fake.user_command(user, text, first_name=name)

    def say(self, user: Any, text: str, name: str = "Nông") -> Any:
        return self.fake.user_text(user, text, first_name=name)

    def choose(self, user: Any, label: str) -> None:
        for params in reversed(self.fake.sent(user)):
            rows = (params.get("reply_markup") or {}).get("inline_keyboard") or []
            for b in (b for row in rows for b in row):
                if b["text"] == label:
                    self.fake.user_callback(user, b["callback_data"])
                    return
        raise AssertionError(f"no button {label!r} offered to {user}")

    async def press(self, app, user: Any, action: str) -> None:
        self.fake.user_callback(user, action)

    def share_phone(self, user: Any, phone: str) -> None:
        self.fake.user_contact(user, phone)

    def texts(self, user: Any) -> list[str]:
        return self.fake.plain_texts(user)

    def fail_429(self) -> float:
        """Make the next send meet a 429; the pause the channel should take."""
        self.fake.fail_next("sendMessage", "429", retry_after=5)
        return 5.0


class ZaloDriver(_Driver):
    name = "zalo"

    def __init__(self, fake: FakeZalo) -> None:
        self.fake = fake

    def user(self, n: int) -> str:
        return f"6ede9afa66b88fe6d6a{n}"

    def env(self) -> dict[str, str]:
        return {"ZALO_BOT_TOKEN": self.fake.token, "ZALO_BASE_URL": self.fake.base_url}

    def webhook_env(self, path: str, secret: str) -> dict[str, str]:
        return {"ZALO_WEBHOOK_URL": f"https://bot.example.vn{path}", "ZALO_WEBHOOK_SECRET": secret}

    def command(self, user: Any, text: str, name: str = "Nông") -> Any:
        return self.fake.user_text(user, text, display_name=name)

    say = command

    def choose(self, user: Any, label: str) -> None:
        for text in reversed(self.texts(user)):
            m = re.search(rf"^(\d+)\. {re.escape(label)}$", text, re.M)
            if m:
                self.fake.user_text(user, m.group(1))
                return
            if re.search(rf"^[-•] {re.escape(label)}$", text, re.M):  # words to type
                self.fake.user_text(user, label)
                return
        raise AssertionError(f"no option {label!r} listed to {user}")

    async def press(self, app, user: Any, action: str) -> None:
        """What a button would do: offer that one action, then type its number."""
        m = await app.store.members.find(self.name, str(user))
        state = await app.store.dialogs.get(m.id)
        state.offered = [("x", action)]
        await app.store.dialogs.put(m.id, state, app.clock.now())
        self.fake.user_text(user, "1")

    def share_phone(self, user: Any, phone: str) -> None:
        self.fake.user_text(user, "0" + phone.removeprefix("84"))  # no contact button: typed

    def texts(self, user: Any) -> list[str]:
        return self.fake.texts(user)

    def fail_429(self) -> float:
        from bot.channels.zalo import DEFAULT_PAUSE

        self.fake.fail_next("sendMessage", "429")
        return DEFAULT_PAUSE


async def driver(name: str):
    """A started fake of that platform and its driver (stop with ``driver.fake.stop()``)."""
    fake = FakeTelegram() if name == "telegram" else FakeZalo()
    await fake.start()
    return TelegramDriver(fake) if name == "telegram" else ZaloDriver(fake)
