"""Staff answers to farmers' questions: the one relay that a reply in the staff chat
(to a question post, or /traloi) and the console's Questions page both use.  The
answer is stored (each one kept), audited, and sent to the farmer on their channel in
their language, with buttons to rate it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..i18n import N_, Translator, translator
from ..store import Member
from ..text import MAX_INPUT, clean, shorten
from ..types import Button, Reply

if TYPE_CHECKING:
    from ..delivery import Outcome
    from ..engine import Services

NO_SUCH = N_("There is no question #{id}.")
TOO_LONG = N_("⚠️ Not sent: the answer is longer than {limit} characters, the most one "
              "message can carry here. Please send it in two parts.")
SENT = N_("✅ Answer to question #{id} sent.")


@dataclass(frozen=True, slots=True)
class Relayed:
    """What came of an answer: the farmer and the message for them, or why not."""

    qid: int
    asker: Member | None = None
    post: Reply | None = None  # the answer as the farmer sees it
    problem: str | None = None  # a msgid (NO_SUCH, TOO_LONG): nothing stored or sent

    def message(self, t: Translator, *, plain: bool = False) -> str:
        """The confirmation, or the problem, for the staff member who answered."""
        say = t.plain if plain else t
        return say(self.problem or SENT, id=self.qid, limit=t.number(MAX_INPUT))


async def answer_question(s: Services, qid: int, answer: str, actor: str, *,
                          raw: str | None = None) -> Relayed:
    """Store and audit staff's answer to question ``qid``; the returned post is for the
    caller to send to ``asker`` (the chat through its journal, the console through
    ``Services.send_later``: stored, then sent once by the bot's worker).
    ``raw`` is the message as received, when the answer was cut from it."""
    q = await s.store.questions.get(qid)
    asker = await s.store.members.get(q.member_id) if q is not None else None
    if q is None or asker is None:
        return Relayed(qid, problem=NO_SUCH)
    raw = answer if raw is None else raw
    if len(clean(raw, limit=len(raw))) > MAX_INPUT:  # the core read only the start of it
        return Relayed(qid, problem=TOO_LONG)
    # Sent whole: the farmer's channel splits a long answer into several messages.
    answer = answer.strip()
    now = s.clock.now()
    await s.store.questions.answer(qid, answer, actor, now)
    await s.store.audit.record(actor, "faq.staff_answer", now, question=qid)
    post = answer_post(translator(asker.locale, s.settings.tz), qid, q.text, answer)
    return Relayed(qid, asker, post)


def answer_post(t: Translator, qid: int, question: str, answer: str) -> Reply:
    """The staff answer as the farmer sees it, in the farmer's language."""
    return Reply(
        t("💬 **The union's staff answered your question** “{question}”:\n\n{answer}",
          question=shorten(question, 200), answer=answer),
        [[Button("👍 " + t.plain("Helpful"), f"q:r:{qid}:1"),
          Button("👎 " + t.plain("Not clear"), f"q:r:{qid}:0")]],
    )


async def post_in_staff_chat(s: Services, post: Reply, t: Translator) -> Outcome | None:
    """Post in the staff chat; the outcome of its last message (None: no staff chat
    on a running channel)."""
    if not s.settings.staff_chat or s.delivery is None:
        return None
    channel, chat = s.settings.staff_chat
    outcome = None
    if channel in s.delivery.channels:
        for msg in s.delivery.render(channel, post, t):
            outcome = await s.delivery.send(channel, chat, msg, high=True)
    return outcome
