"""Ranking FAQ entries for a question, with a calibrated confidence.

Each entry is represented by its canonical question and every variant.  A
question and a variant are compared on syllables and syllable pairs, in the
folded form always and in the accented form when the person typed accents
(so "mã" and "má" differ only for those who wrote them).  Features are
weighted by how rare they are among entries (IDF).  Unknown syllables are
corrected to the closest known one when a typo is likely (rapidfuzz).  A few
signals about the best entry (its score, the gap to the next entry, how close
its closest variant is, how many of the question's syllables it leaves
unexplained; see ``FaqRanker.signals``) are turned into a probability by a
logistic calibration fitted on the development set (``tools/tune_faq.py``);
below the threshold the bot abstains.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process

from ..content import FaqEntry
from .normalise import Normaliser, Token

CALIBRATION = Path(__file__).with_name("calibration.json")
SIGNALS = ("best score", "gap to runner-up", "known share", "log length", "variant F1",
           "log unexplained syllables")
W_FOLD, W_ACC, W_PAIR_FOLD, W_PAIR_ACC = 1.0, 0.5, 1.5, 0.75


def features(tokens: list[Token]) -> Counter[str]:
    f: Counter[str] = Counter()
    for i, t in enumerate(tokens):
        f["f:" + t.fold] += 1
        if t.marked:
            f["a:" + t.acc] += 1
        if i + 1 < len(tokens):
            n = tokens[i + 1]
            f["F:" + t.fold + " " + n.fold] += 1
            if t.marked and n.marked:
                f["A:" + t.acc + " " + n.acc] += 1
    return f


@dataclass(frozen=True)
class Ranking:
    """What the ranker found for one question, before calibration."""

    ranked: list[tuple[float, str, float]]  # (score, entry id, keyword syllables hit), best first
    known: float  # share of the question's syllables the FAQ uses at all
    length: int  # meaningful syllables in the question
    tokens: list[Token] = field(default_factory=list)  # after typo correction
    sim: dict[str, float] = field(default_factory=dict)  # entry id → F1 with its closest variant


def idf(entries: int, with_feature: int) -> float:
    """Rarity of a feature among entries: a word in one entry ("vietgap") counts most.
    (Sharper forms were tried on the dev set and did no better.)"""
    return math.log(1 + entries / with_feature)


def _weight(feat: str) -> float:
    return {"f": W_FOLD, "a": W_ACC, "F": W_PAIR_FOLD, "A": W_PAIR_ACC}[feat[0]]


@dataclass(frozen=True)
class Answer:
    id: str | None  # None when not confident
    score: float  # calibrated probability that the best entry is right
    best: str | None  # the best entry even when abstaining
    suggestions: list[str] = field(default_factory=list)  # the closest entries, best first


@dataclass
class _Doc:
    entry: str
    feats: Counter[str]
    mass: float = 0.0


class FaqRanker:
    """An index over one locale's FAQ entries."""

    def __init__(
        self,
        entries: dict[str, FaqEntry],
        normaliser: Normaliser,
        calibration: dict | None = None,
    ) -> None:
        self.norm = normaliser
        self.entries = entries
        self.docs: list[_Doc] = []
        entry_feats: dict[str, set[str]] = defaultdict(set)
        self.mix = (0.5, 0.5, 0.05)  # best variant F1, entry recall, per keyword syllable (dev-tuned)
        for e in entries.values():
            for text in (e.question, *e.variants):
                feats = features(normaliser.tokens(text))
                if feats:
                    self.docs.append(_Doc(e.id, feats))
                    entry_feats[e.id] |= set(feats)
        self.entry_feats = entry_feats
        for e in entries.values():  # keywords count as words of their entry too
            for k in e.keywords:
                entry_feats[e.id] |= set(features(normaliser.tokens(k, drop_stopwords=False)))
        n = max(1, len(entries))
        df: Counter[str] = Counter()
        for feats in entry_feats.values():
            df.update(feats)
        self.idf = {f: idf(n, c) for f, c in df.items()}
        self.postings: dict[str, list[int]] = defaultdict(list)  # feature → variants with it
        for i, d in enumerate(self.docs):
            d.mass = sum(self._w(f) for f in d.feats)
            for f in d.feats:
                self.postings[f].append(i)
        self.vocab = sorted({f[2:] for f in self.idf if f.startswith("f:") and len(f) > 4})
        self.keywords: list[tuple[tuple[str, ...], str]] = []
        for e in entries.values():
            for k in e.keywords:
                toks = tuple(t.fold for t in normaliser.tokens(k, drop_stopwords=False))
                if toks:
                    self.keywords.append((toks, e.id))
        cal = calibration if calibration is not None else _load_calibration()
        if len(cal.get("coef", ())) != len(SIGNALS):  # none yet, or fitted on other signals
            cal = {}
        self.coef = cal.get("coef", [1.0] * len(SIGNALS))
        self.bias = cal.get("bias", 0.0)
        self.threshold = cal.get("threshold", 0.5)

    def _w(self, feat: str) -> float:
        return _weight(feat) * self.idf.get(feat, 0.0)

    def known(self, tokens: list[Token]) -> float:
        """Share of the question's syllables that the FAQ uses at all: questions about
        other things (number plates, football) are mostly made of unknown words."""
        if not tokens:
            return 0.0
        return sum(1 for t in tokens if f"f:{t.fold}" in self.idf) / len(tokens)

    def _correct(self, tokens: list[Token]) -> list[Token]:
        """Replace unknown folded syllables by the closest known one (typos)."""
        out = []
        for t in tokens:
            if len(t.fold) >= 3 and f"f:{t.fold}" not in self.idf and self.vocab:
                hit = process.extractOne(t.fold, self.vocab, scorer=fuzz.ratio, score_cutoff=80)
                if hit:
                    out.append(Token(hit[0], hit[0], False))
                    continue
            out.append(t)
        return out

    def raw(self, question: str) -> Ranking:
        """Every entry that shares something with the question, best first."""
        typed = self.norm.tokens(question)
        known = self.known(typed)
        tokens = self._correct(typed)
        q = features(tokens)
        q_mass = sum(self._w(f) for f in q)
        if q_mass <= 0:
            return Ranking([], known, len(typed))
        shared_by: defaultdict[int, float] = defaultdict(float)
        for f in q:  # only variants that share a feature with the question
            w = self._w(f)
            for i in self.postings.get(f, ()):
                shared_by[i] += w
        best: dict[str, float] = {}
        for i, shared in shared_by.items():
            d = self.docs[i]
            recall = shared / q_mass  # how much of the question the variant explains
            precision = shared / d.mass if d.mass else 0.0  # how much of the variant was asked
            sim = 2 * recall * precision / (recall + precision)
            if sim > best.get(d.entry, 0.0):
                best[d.entry] = sim
        folded = [t.fold for t in tokens]
        hits: Counter[str] = Counter()
        for toks, eid in self.keywords:
            n = len(toks)
            if any(tuple(folded[i : i + n]) == toks for i in range(len(folded) - n + 1)):
                hits[eid] += n
        for eid in hits:
            best.setdefault(eid, 0.0)
        a, b, c = self.mix
        scored = []
        sims = {}
        for eid, sim in best.items():
            feats = self.entry_feats[eid]
            recall = sum(self._w(f) for f in q if f in feats) / q_mass
            sims[eid] = sim
            scored.append((a * sim + b * recall + c * min(hits[eid], 4), eid, float(hits[eid])))
        scored.sort(reverse=True)
        return Ranking(scored, known, len(typed), tokens, sims)

    def signals(self, r: Ranking) -> list[float]:
        """What the calibration looks at (``SIGNALS``): the best score and its gap to
        the runner-up; the share of the question's syllables the FAQ knows at all; the
        question's length (long questions score lower when right); how close the best
        entry's closest variant is (F1); and how many of the question's syllables the
        best entry never uses ("biển số xe", "kết hôn" next to "đăng ký ở đâu"), which
        is what gives away a question about something else that shares a few words.  A
        syllable typed with diacritics counts as used only with the same diacritics:
        "bão" and "nhãn" are not the "báo cáo" and "nhãn hiệu"... of an entry whose
        variants say "báo", "nhận" (the accented and folded readings disagree)."""
        if not r.ranked:
            return [0.0, 0.0, r.known, math.log1p(r.length), 0.0, math.log1p(r.length)]
        s1, best, _ = r.ranked[0]
        s2 = r.ranked[1][0] if len(r.ranked) > 1 else 0.0
        vocab = self.entry_feats[best]
        unexplained = sum(1 for t in r.tokens
                          if "f:" + t.fold not in vocab or (t.marked and "a:" + t.acc not in vocab))
        return [s1, s1 - s2, r.known, math.log1p(r.length), r.sim.get(best, 0.0),
                math.log1p(unexplained)]

    def confidence(self, r: Ranking) -> float:
        """Probability that the best entry is right (logistic over the signals)."""
        if not r.ranked:
            return 0.0
        z = self.bias + sum(c * x for c, x in zip(self.coef, self.signals(r), strict=True))
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))

    def answer(self, question: str, suggestions: int = 3) -> Answer:
        r = self.raw(question)
        p = self.confidence(r)
        ids = [e for _, e, _ in r.ranked]
        best = ids[0] if ids else None
        return Answer(best if p >= self.threshold else None, round(p, 4), best, ids[:suggestions])


def _load_calibration() -> dict:
    try:
        return json.loads(CALIBRATION.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
