"""Measuring the FAQ ranker on a labelled question list (dev or held-out).

A TSV file: ``id<TAB>question`` per line (header ``id	question``); id ``-``
marks a question the FAQ does not cover.  Top-1 on covered questions counts
an abstention as a miss; abstention is measured on uncovered ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .ranker import FaqRanker


@dataclass(frozen=True)
class Scores:
    covered: int
    top1: int  # answered with the right id
    uncovered: int
    abstained: int

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.covered if self.covered else 0.0

    @property
    def abstain_rate(self) -> float:
        return self.abstained / self.uncovered if self.uncovered else 0.0

    def __str__(self) -> str:
        return (f"top-1 {self.top1}/{self.covered} = {self.top1_rate:.1%}; "
                f"abstained {self.abstained}/{self.uncovered} = {self.abstain_rate:.1%}")


def read_set(path: Path) -> list[tuple[str, str]]:
    rows = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if i == 0 or not line.strip():
            continue
        fid, _, question = line.partition("\t")
        rows.append((fid.strip(), question.strip()))
    return rows


def evaluate(ranker: FaqRanker, rows: list[tuple[str, str]]) -> Scores:
    covered = top1 = uncovered = abstained = 0
    for fid, question in rows:
        answer = ranker.answer(question)
        if fid == "-":
            uncovered += 1
            abstained += answer.id is None
        else:
            covered += 1
            top1 += answer.id == fid
    return Scores(covered, top1, uncovered, abstained)
