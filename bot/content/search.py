"""Finding articles by what a person types, with or without diacritics.

Every syllable of the query must appear in the article (title, summary, body
or topic names, compared folded: "ma vach" finds "mã vạch"); articles are
ranked by where the words appear (title first) and by whole-phrase matches.
When nothing contains every word, titles close to the query within typos are
offered instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from ..text import fold
from .articles import Article

# Words that carry no meaning in "tìm bài về …" and similar requests.
FILLER = {"tim", "bai", "ve", "tin", "doc", "cho", "toi", "minh", "em", "xem", "cac", "nhung",
          "voi", "a", "nhe", "di", "giup", "hoi", "the", "nao"}


@dataclass(frozen=True)
class _Doc:
    article: Article
    title: str
    summary: str
    body: str
    words: frozenset[str]


class ArticleIndex:
    """A small in-memory index over one locale's articles."""

    def __init__(self, articles: list[Article], topic_labels: dict[str, str]) -> None:
        self.docs = []
        for a in articles:
            topics = " ".join(fold(topic_labels.get(t, t)) + " " + t for t in a.topics)
            title, summary, body = fold(a.title), fold(a.summary), fold(a.body)
            words = frozenset(f"{title} {summary} {body} {topics}".split())
            self.docs.append(_Doc(a, title, summary, body + " " + topics, words))
        self._titles = [d.title for d in self.docs]

    def search(self, query: str, limit: int = 10) -> list[Article]:
        q = fold(query)[:200]
        words = [w for w in q.split() if w not in FILLER] or q.split()
        if not words:
            return []
        phrase = " ".join(words)
        scored = []
        for d in self.docs:
            if not all(w in d.words for w in words):
                continue
            score = sum(3 * d.title.split().count(w) + 2 * d.summary.split().count(w)
                        + min(d.body.split().count(w), 5) for w in words)
            if len(words) > 1:
                score += 10 * (phrase in d.title) + 5 * (phrase in d.summary) + 3 * (phrase in d.body)
            scored.append((score, d.article.date, d.article))
        if scored:
            scored.sort(key=lambda x: (x[0], x[1]), reverse=True)
            return [a for _, _, a in scored[:limit]]
        near = process.extract(phrase, self._titles, scorer=fuzz.partial_ratio, limit=3,
                               score_cutoff=85)
        return [self.docs[i].article for _, _, i in near]
