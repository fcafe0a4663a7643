"""Send outcomes that every channel maps its platform errors to."""

from __future__ import annotations


class SendError(Exception):
    """A send did not go through."""


class RetryLater(SendError):
    """The platform asked us to slow down: pause the whole channel."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = float(seconds)


class Blocked(SendError):
    """The person blocked the bot or deleted the chat: never send again."""


class Transient(SendError):
    """A network fault or server error: worth retrying with backoff."""


class Permanent(SendError):
    """The platform refused this message (bad request); retrying will not help."""


class ChatMoved(SendError):
    """The chat has a new id (a group migrated to a supergroup)."""

    def __init__(self, new_chat_id: str) -> None:
        super().__init__(f"chat moved to {new_chat_id}")
        self.new_chat_id = new_chat_id


class Closed(SendError):
    """The bot is shutting down: this message was not sent."""


class Unauthorized(SendError):
    """The platform refused our credentials (a revoked or expired token): stop the
    channel, tell staff once, and leave its remaining copies for when it works again."""


class OverQuota(SendError):
    """The person's message quota on this channel is used up for now (an official
    account's monthly broadcasts per follower): not sent, not retried; can be re-sent later."""


class OutsideWindow(SendError):
    """The channel allows this message only within a time after the person's last
    interaction (an official account's consultation messages), and that time has passed."""
