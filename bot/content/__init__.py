"""Content that editors change without touching code (``content/``).

``load_library`` reads and checks everything — topics, articles, FAQ, series,
check-ins, targets — and
either returns a :class:`Library` or raises :class:`ContentError` listing every
problem as ``file:line: what is wrong``.  A running bot swaps in a new library
only when it loads cleanly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .articles import Article, load_articles
from .checkins import Checkin, Question, load_checkins
from .faq_entries import FaqEntry, load_faq, load_lexicon
from .search import ArticleIndex
from .series import Series, load_series
from .source import ContentError, Problems
from .targets import Indicator, Programme, Targets, check_references, load_targets
from .topics import TopicLabels, load_topics

__all__ = [
    "Article", "Checkin", "ContentError", "FaqEntry", "Indicator", "Library", "Programme", "Question",
    "Series", "Targets", "check", "load_library", "signature",
]


@dataclass
class Library:
    topics: TopicLabels
    articles: dict[str, dict[str, Article]]
    faq: dict[str, dict[str, FaqEntry]]
    abbreviations: dict[str, str] = field(default_factory=dict)  # for the FAQ normaliser
    stopwords: list[str] = field(default_factory=list)
    series: dict[str, Series] = field(default_factory=dict)
    checkins: dict[str, Checkin] = field(default_factory=dict)
    targets: Targets = field(default_factory=Targets)
    _index: dict[str, ArticleIndex] = field(default_factory=dict, repr=False)
    _by_topic: dict[tuple[str, str], list[Article]] = field(default_factory=dict, repr=False)

    # -- articles ---------------------------------------------------------
    def _articles(self, locale: str) -> dict[str, Article]:
        """The locale's articles, Vietnamese where no translation exists."""
        vi = self.articles.get("vi", {})
        if locale == "vi":
            return vi
        own = self.articles.get(locale, {})
        return {aid: own.get(aid, art) for aid, art in vi.items()}

    def article(self, aid: str, locale: str = "vi") -> Article | None:
        return self._articles(locale).get(aid)

    def newest(self, locale: str = "vi", topic: str | None = None) -> list[Article]:
        """Articles (of one topic, or all), newest first."""
        key = (locale, topic or "")
        if key not in self._by_topic:
            arts = [a for a in self._articles(locale).values() if topic is None or topic in a.topics]
            arts.sort(key=lambda a: (a.date, a.id), reverse=True)
            self._by_topic[key] = arts
        return self._by_topic[key]

    def search(self, query: str, locale: str = "vi", limit: int = 10) -> list[Article]:
        if locale not in self._index:
            labels = {t: v[locale] for t, v in self.topics.items()}
            self._index[locale] = ArticleIndex(list(self._articles(locale).values()), labels)
        return self._index[locale].search(query, limit)

    # -- FAQ ----------------------------------------------------------------
    def faq_entry(self, fid: str, locale: str = "vi") -> FaqEntry | None:
        return self.faq.get(locale, {}).get(fid) or self.faq.get("vi", {}).get(fid)

    def related_questions(self, aid: str) -> list[str]:
        """FAQ ids linked to an article, from either side, in a stable order."""
        art = self.article(aid)
        ids = list(art.faq) if art else []
        for fid, entry in self.faq.get("vi", {}).items():
            if aid in entry.articles and fid not in ids:
                ids.append(fid)
        return ids


_cache: dict[Path, tuple[tuple, Library]] = {}


def load_library(root: Path) -> Library:
    """Read and check all content; raises ContentError with every problem.

    Unchanged files give the same Library back (keyed on every file's size and
    modification time), so reloads and repeated starts cost only a directory walk.
    """
    key = Path(root).resolve()
    sig = signature(key) if key.is_dir() else ()
    hit = _cache.get(key)
    if hit and hit[0] == sig:
        return hit[1]
    library = _load(key)
    _cache[key] = (sig, library)
    return library


def _load(root: Path) -> Library:
    problems = Problems()
    if not root.is_dir():
        raise ContentError([f"{root}:1: content folder not found"])
    topics = load_topics(root, problems)
    articles = load_articles(root, set(topics), problems)
    faq = load_faq(root, problems)
    abbreviations, stopwords = load_lexicon(root, problems)
    series = load_series(root, set(topics), problems)
    checkins = load_checkins(root, problems)
    targets = load_targets(root, problems)
    check_references(targets, checkins, problems)
    for sr in series.values():
        for aid in sr.articles:
            if aid not in articles.get("vi", {}):
                problems.add(sr.path, sr.articles_line, f"series '{sr.id}': article '{aid}' does not exist")
    # Cross references, now that everything is read.
    vi_articles = articles.get("vi", {})
    vi_faq = faq.get("vi", {})
    for arts in articles.values():
        for a in arts.values():
            for fid in a.faq:
                if fid not in vi_faq:
                    problems.add(a.path, a.faq_line, f"linked FAQ id '{fid}' does not exist")
    for entries in faq.values():
        for e in entries.values():
            for fid in e.related:
                if fid not in vi_faq:
                    problems.add(e.path, e.related_line, f"related FAQ id '{fid}' does not exist")
            for aid in e.articles:
                if aid not in vi_articles:
                    problems.add(e.path, e.articles_line, f"linked article '{aid}' does not exist")
    if problems:
        raise ContentError(problems.items)
    return Library(topics, articles, faq, abbreviations, stopwords, series, checkins, targets)


def signature(root: Path) -> tuple:
    """Changes whenever a content file is added, removed or edited (for hot reload)."""
    out = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.name.startswith("."):
            st = p.stat()
            out.append((str(p), st.st_mtime_ns, st.st_size))
    return tuple(out)


def check(root: Path) -> list[str]:
    """Every problem in the content folder (empty when all is well)."""
    try:
        load_library(root)
    except ContentError as e:
        return e.problems
    return []
