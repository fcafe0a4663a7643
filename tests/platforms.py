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
from tests.fakes.zalo_oa_api import FakeZaloOA, message_buttons, message_text


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

    # The platform sets its webhook from the bot (setWebhook); the OA's is set by hand.
    sets_webhook = True

    def attach(self, app) -> None:
        """The app has started (the OA's fake needs its webhook address)."""

    async def wait_failed_send(self) -> tuple[int, str]:
        """(HTTP status, text) of the first send that failed."""
        [failed] = await self.fake.wait_for_call("sendMessage")
        return failed.status, failed.params["text"]

    def raw_texts(self, user: Any) -> list[str]:
        """The texts of the successful sends to ``user``, as sent."""
        return [p.get("text", p.get("caption", "")) for p in self.fake.sent(user)]


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


class ZaloOADriver(_Driver):
    """The Zalo Official Account: events reach the bot by signed webhooks (there is no
    polling), choices are real template buttons, the phone number comes from Zalo's
    "share your information" form."""

    name = "zalo_oa"
    sets_webhook = False
    path = "/zalo-oa/webhook"

    def __init__(self, fake: FakeZaloOA) -> None:
        self.fake = fake
        self.manual = False  # the test posts the webhooks itself (webhook_env)

    def user(self, n: int) -> str:
        return f"84123456789012345{n}"

    def env(self) -> dict[str, str]:
        f = self.fake
        return {"ZALO_OA_APP_ID": f.app_id, "ZALO_OA_SECRET_KEY": f.secret_key,
                "ZALO_OA_REFRESH_TOKEN": f.seed, "ZALO_OA_WEBHOOK_SECRET": f.oa_secret,
                "ZALO_OA_BASE_URL": f.base_url, "ZALO_OA_OAUTH_URL": f.base_url,
                "ZALO_OA_WEBHOOK_URL": f"https://bot.example.vn{self.path}",
                "NHANONG_WEBHOOK_LISTEN": "127.0.0.1:0"}

    def webhook_env(self, path: str, secret: str) -> dict[str, str]:
        self.manual = True
        self.fake.oa_secret = secret
        return {"ZALO_OA_WEBHOOK_URL": f"https://bot.example.vn{path}",
                "ZALO_OA_WEBHOOK_SECRET": secret}

    def attach(self, app) -> None:
        if not self.manual:
            self.fake.deliver_to(f"http://127.0.0.1:{app.webserver.port}{self.path}")

    def command(self, user: Any, text: str, name: str = "Nông") -> Any:
        # (with webhook_env the fake's webhook stays unset: the test posts the events)
        self.fake.names[str(user)] = name
        return self.fake.user_text(user, text)

    say = command

    def choose(self, user: Any, label: str) -> None:
        self.fake.press(user, label)

    async def press(self, app, user: Any, action: str) -> None:
        from bot.channels.zalo_oa import button_payload

        self.fake.user_text(user, button_payload(action))

    def share_phone(self, user: Any, phone: str) -> None:
        self.fake.user_submit_info(user, phone)

    def _shown(self, user: Any) -> list:
        """The messages a person reads: a message that only carries more buttons, or
        the phone form, belongs to the message before it."""
        from bot.channels.zalo_oa import MORE

        out = []
        for c in self.fake.ok_calls(str(user)):
            payload = (c.message.get("attachment") or {}).get("payload") or {}
            if out and (c.message.get("text") == MORE
                        or payload.get("template_type") == "request_user_info"):
                continue
            out.append(c)
        return out

    def texts(self, user: Any) -> list[str]:
        return [message_text(c.message) for c in self._shown(user)]

    def buttons(self, user: Any) -> list[str]:
        return [b["title"] for c in self.fake.ok_calls(str(user)) for b in message_buttons(c.message)]

    async def wait_for_sent(self, user: Any, count: int) -> list[str]:
        await self.fake.wait_until(lambda: len(self._shown(user)) >= count,
                                   f"{count} message(s) to {user}; got {self.texts(user)!r}")
        return self.texts(user)

    def failed_sends(self) -> list:
        return [c for c in self.fake.calls if c.kind != "oauth" and not c.ok]

    def ok_sends(self) -> int:
        return len(self.fake.ok_calls())

    async def wait_failed_send(self) -> tuple[int, str]:
        await self.fake.wait_until(lambda: any(c.status for c in self.failed_sends()),
                                   "a failed send")
        failed = next(c for c in self.failed_sends() if c.status)
        return failed.status or 0, message_text(failed.message)

    def raw_texts(self, user: Any) -> list[str]:
        return self.fake.texts(str(user))

    def fail_429(self) -> float:
        from bot.channels.zalo_oa import DEFAULT_PAUSE

        self.fake.fail_next("cs", "http429")
        return DEFAULT_PAUSE


async def driver(name: str):
    """A started fake of that platform and its driver (stop with ``driver.fake.stop()``)."""
    if name == "zalo_oa":
        oa = FakeZaloOA()
        await oa.start()
        return ZaloOADriver(oa)
    fake = FakeTelegram() if name == "telegram" else FakeZalo()
    await fake.start()
    return TelegramDriver(fake) if name == "telegram" else ZaloDriver(fake)
