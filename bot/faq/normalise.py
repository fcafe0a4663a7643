"""Vietnamese normalisation for matching questions.

A question becomes a list of syllables, each in two forms: accented (lower
case, NFC, one tone placement) and folded (no diacritics, đ → d).  Repeated
letters are collapsed ("khôngggg"), abbreviations and teencode are expanded
from ``content/faq/abbreviations.yaml`` ("ko" → "không", "htx" → "hợp tác
xã"), and polite particles and fillers from ``content/faq/stopwords.yaml``
("cho em hỏi", "ạ", "với") are dropped.  Editors extend both files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..content import Library
from ..text import fold, lower_nfc


@dataclass(frozen=True, slots=True)
class Token:
    acc: str  # accented, lower case ("không"); equals fold when typed without marks
    fold: str  # "khong"
    marked: bool  # the person typed diacritics on this syllable


def _syllables(text: str) -> list[Token]:
    out = []
    for acc in lower_nfc(text).split():
        f = fold(acc)
        if f:
            out.append(Token(acc, f, acc != f))
    return out


class Normaliser:
    def __init__(self, abbreviations: dict[str, str], stopwords: list[str]) -> None:
        self.abbrev = {fold(k): _syllables(v) for k, v in abbreviations.items() if fold(k)}
        phrases = sorted({tuple(fold(s).split()) for s in stopwords if fold(s)}, key=len, reverse=True)
        self.stop_phrases = [p for p in phrases if p]

    @classmethod
    def from_library(cls, library: Library) -> Normaliser:
        """The editors' abbreviations and fillers, as the content loader checked them."""
        return cls(library.abbreviations, library.stopwords)

    @classmethod
    def from_content(cls, root: Path) -> Normaliser:
        from ..content import load_library

        return cls.from_library(load_library(root))

    def tokens(self, text: str, drop_stopwords: bool = True) -> list[Token]:
        out: list[Token] = []
        for tok in _syllables(text[:500]):
            # "đc" and "dc" are the same abbreviation; "à" is not "a" (anh).
            plain = not tok.marked or tok.acc.replace("đ", "d") == tok.fold
            exp = self.abbrev.get(tok.fold) if plain else None
            out.extend(exp if exp else [tok])
        if drop_stopwords:
            out = self._drop_fillers(out)
        return out

    def _drop_fillers(self, toks: list[Token]) -> list[Token]:
        folded = [t.fold for t in toks]
        keep = [True] * len(toks)
        for phrase in self.stop_phrases:
            n = len(phrase)
            for i in range(len(folded) - n + 1):
                if all(keep[i : i + n]) and tuple(folded[i : i + n]) == phrase:
                    for j in range(i, i + n):
                        keep[j] = False
        kept = [t for t, k in zip(toks, keep, strict=True) if k]
        return kept or toks  # a question made only of fillers keeps its words
