"""Fit the FAQ ranker's confidence calibration and threshold on the development set.

    python tools/tune_faq.py            # writes bot/faq/calibration.json

Only ``tests/data/faq_dev.tsv`` is used; the held-out set is only read by the tests.

A logistic model maps the ranker's signals (``FaqRanker.signals``) to the
probability that the best entry is right; it is fitted exactly (Newton's method,
a little L2).  The threshold is chosen on out-of-fold probabilities: the dev set
is split in ``FOLDS`` parts, each part is scored by a model fitted on the
others, repeated over ``REPEATS`` shuffles, so that the threshold is set on
questions the model did not see, as it will be for real questions.  It is the
one that answers the most covered questions right while still abstaining on at
least ``ABSTAIN_FLOOR`` of the uncovered ones (a margin over the 85% aim); where
several thresholds tie, the middle one.  The shipped model is then fitted on the
whole dev set.
"""

from __future__ import annotations

import json
import math
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content import load_library  # noqa: E402
from bot.faq import FaqRanker, Normaliser  # noqa: E402
from bot.faq.evaluate import Scores, read_set  # noqa: E402
from bot.faq.ranker import CALIBRATION, SIGNALS  # noqa: E402

ABSTAIN_FLOOR = 0.90
FOLDS, REPEATS, L2 = 10, 5, 0.1


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (a few unknowns)."""
    n = len(b)
    m = [[*row, bi] for row, bi in zip(a, b, strict=True)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c], strict=True)]
    return [m[i][n] / m[i][i] for i in range(n)]


def fit(xs: list[list[float]], ys: list[float], l2: float = L2, iters: int = 50):
    """L2-regularised logistic regression (the bias is not penalised) by Newton's method."""
    d = len(xs[0]) + 1
    rows = [[1.0, *x] for x in xs]
    w = [0.0] * d
    for _ in range(iters):
        g = [0.0] + [l2 * wi for wi in w[1:]]
        h = [[l2 if i == j and i else 0.0 for j in range(d)] for i in range(d)]
        for x, y in zip(rows, ys, strict=True):
            p = _sigmoid(sum(wi * xi for wi, xi in zip(w, x, strict=True)))
            s = p * (1 - p)
            for i in range(d):
                g[i] += (p - y) * x[i]
                for j in range(d):
                    h[i][j] += s * x[i] * x[j]
        step = _solve(h, g)
        w = [wi - si for wi, si in zip(w, step, strict=True)]
        if max(abs(s) for s in step) < 1e-7:
            break
    return w[1:], w[0]


def predict(w: list[float], b: float, x: list[float]) -> float:
    return _sigmoid(b + sum(wi * xi for wi, xi in zip(w, x, strict=True)))


def out_of_fold(xs: list[list[float]], ys: list[float], seed: int) -> list[float]:
    """Each question's probability from a model fitted without its fold."""
    order = list(range(len(xs)))
    random.Random(seed).shuffle(order)
    probs = [0.0] * len(xs)
    for k in range(FOLDS):
        test = set(order[k::FOLDS])
        w, b = fit([x for i, x in enumerate(xs) if i not in test],
                   [y for i, y in enumerate(ys) if i not in test])
        for i in test:
            probs[i] = predict(w, b, xs[i])
    return probs


def choose_threshold(runs: list[tuple[str, str | None, float]]) -> tuple[float, Scores]:
    """runs: (dev label, best entry, probability). The threshold with the best top-1
    among those that abstain on ABSTAIN_FLOOR of uncovered questions; middle of ties."""
    covered = sum(1 for fid, _, _ in runs if fid != "-")
    uncovered = len(runs) - covered
    scored = []
    for t in [i / 100 for i in range(1, 100)]:
        top1 = sum(1 for fid, top, p in runs if fid != "-" and top == fid and p >= t)
        abst = sum(1 for fid, _, p in runs if fid == "-" and p < t)
        if abst / uncovered >= ABSTAIN_FLOOR:
            scored.append((top1, t, abst))
    most = max(top1 for top1, _, _ in scored)
    ties = [(t, abst) for top1, t, abst in scored if top1 == most]
    t, abst = ties[len(ties) // 2]
    return t, Scores(covered, most, uncovered, abst)


def main() -> None:
    content = ROOT / "content"
    lib = load_library(content)
    ranker = FaqRanker(lib.faq["vi"], Normaliser.from_content(content), calibration={})
    dev = read_set(ROOT / "tests" / "data" / "faq_dev.tsv")
    xs, ys, tops = [], [], []
    for fid, q in dev:
        r = ranker.raw(q)
        top = r.ranked[0][1] if r.ranked else None
        xs.append(ranker.signals(r))
        ys.append(1.0 if fid != "-" and top == fid else 0.0)
        tops.append(top)
    runs = []  # out-of-fold, pooled over the repeats
    for seed in range(REPEATS):
        runs += [(fid, top, p) for (fid, _), top, p in zip(dev, tops, out_of_fold(xs, ys, seed),
                                                            strict=True)]
    t, cv = choose_threshold(runs)
    cv = Scores(cv.covered // REPEATS, round(cv.top1 / REPEATS), cv.uncovered // REPEATS,
                round(cv.abstained / REPEATS))
    w, b = fit(xs, ys)
    probs = [predict(w, b, x) for x in xs]
    dev_scores = Scores(cv.covered, sum(1 for (fid, _), top, p in zip(dev, tops, probs, strict=True)
                                        if fid != "-" and top == fid and p >= t),
                        cv.uncovered, sum(1 for (fid, _), p in zip(dev, probs, strict=True)
                                          if fid == "-" and p < t))
    CALIBRATION.write_text(json.dumps(
        {"signals": list(SIGNALS), "coef": [round(x, 4) for x in w], "bias": round(b, 4),
         "threshold": t, "dev": str(dev_scores),
         f"dev, out of fold ({FOLDS} folds x {REPEATS})": str(cv)},
        indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"threshold {t}: dev out of fold {cv}")
    print(f"           dev, model fitted on all of it: {dev_scores}")
    print(f"wrote {CALIBRATION.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
