"""Conversation areas.  :func:`register` is the one place that wires them.

Order matters in two ways, both noted below: a typed keyword belongs to the
first area that claims it, and the fallback for free text is set last.
"""

from __future__ import annotations

from bot.router import Router

from . import (
    broadcasts,
    checkins,
    courses,
    faq,
    link,
    media,
    menu,
    news,
    profile,
    reports,
    stats,
    subscription,
    training,
    web,
)


def register(router: Router) -> None:
    # /start and /dung first: their keywords ("dừng", "stop", "hủy nhận tin")
    # must win over the flow-level "hủy" (cancel) that menu registers.
    subscription.register(router)
    # News comes right after: its command is the first a member sees in the list.
    news.register(router)
    # Questions: /hoi, FAQ answers, the staff hand-off (/traloi, replies in the staff chat).
    faq.register(router)
    # Pictures, voice messages and withheld content: to the staff hand-off, or a short answer.
    media.register(router)
    # Training: /taphuan, sign-up and feedback flows ("đăng ký tập huấn" typed any way).
    training.register(router)
    # Check-ins: /baocao and its question-by-question flow ("báo cáo" typed any way).
    checkins.register(router)
    # The profile flow: onboarding questions after /start, and /hoso.
    profile.register(router)
    link.register(router)  # linking a person's accounts on two channels (/hoso, /lienket)
    # Staff areas: their commands, buttons and flows are registered with staff=True, and
    # the engine checks the person's right (bot.rights) before each runs, in every chat.
    broadcasts.register(router)
    courses.register(router)
    stats.register(router)
    reports.register(router)  # the Đề án report, offered by /xuat
    web.register(router)  # /web: a one-time login link to the staff web console
    # /menu, /trogiup, "hủy": last, because help lists every command registered before it.
    menu.register(router)
    # Free text that is no command, keyword, choice or flow answer is a question.
    router.set_fallback(faq.free_text)
