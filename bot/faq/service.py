"""The FAQ as the bot uses it: one ranker per locale over the current library."""

from __future__ import annotations

from ..content import Library
from .normalise import Normaliser
from .ranker import Answer, FaqRanker


class FaqService:
    def __init__(self, library: Library) -> None:
        self.library = library
        self.normaliser = Normaliser.from_library(library)
        self._rankers: dict[str, FaqRanker] = {}

    def ranker(self, locale: str = "vi") -> FaqRanker:
        loc = locale if self.library.faq.get(locale) else "vi"
        if loc not in self._rankers:
            self._rankers[loc] = FaqRanker(self.library.faq.get(loc, {}), self.normaliser)
        return self._rankers[loc]

    def answer(self, question: str, locale: str = "vi") -> Answer:
        return self.ranker(locale).answer(question)


def faq_service(library: Library) -> FaqService:
    """The FaqService of a library, built once per library."""
    svc = library.__dict__.get("_faq_service")
    if svc is None:
        svc = library.__dict__["_faq_service"] = FaqService(library)
    return svc
