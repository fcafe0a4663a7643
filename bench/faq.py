"""FAQ ranker speed and the gain over a plain fuzzy baseline, in one run.

    python bench/faq.py

Prints the index build time and per-question latency (median, p99) over the
shipped FAQ and over a synthetic FAQ ten times larger (each entry copied ten
times with its variants reworded), beside a plain ``rapidfuzz.process.extractOne``
over the same variants; and both methods' top-1 accuracy on the development set
(the baseline never abstains).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process  # noqa: E402

from bot.content import load_library  # noqa: E402
from bot.faq import FaqRanker, Normaliser  # noqa: E402
from bot.faq.evaluate import evaluate, read_set  # noqa: E402
from bot.text import fold  # noqa: E402


def timed(fn, questions):
    times = []
    for q in questions:
        t0 = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def synthetic(entries, times=10, seed=7):
    rnd = random.Random(seed)
    out = {}
    for k in range(times):
        for e in entries.values():
            variants = []
            for v in e.variants:
                words = v.split()
                rnd.shuffle(words)
                variants.append(" ".join(words) + f" {k}")
            out[f"{e.id}_{k}"] = replace(e, id=f"{e.id}_{k}", variants=tuple(variants))
    return out


def main() -> None:
    content = ROOT / "content"
    entries = load_library(content).faq["vi"]
    norm = Normaliser.from_content(content)
    dev = read_set(ROOT / "tests" / "data" / "faq_dev.tsv")
    questions = [q for _, q in dev] * 5

    for label, faq in (("shipped", entries), ("10x synthetic", synthetic(entries))):
        t0 = time.perf_counter()
        ranker = FaqRanker(faq, norm)
        build = (time.perf_counter() - t0) * 1000
        choices = [(fold(v), e.id) for e in faq.values() for v in (e.question, *e.variants)]
        texts = [c for c, _ in choices]
        t0 = time.perf_counter()
        process.extractOne("warm up", texts, scorer=fuzz.WRatio)
        base_build = (time.perf_counter() - t0) * 1000
        med, p99 = timed(ranker.answer, questions)
        bmed, bp99 = timed(lambda q, texts=texts: process.extractOne(fold(q), texts, scorer=fuzz.WRatio),
                           questions)
        print(f"[{label}] {len(faq)} entries, {len(texts)} variants")
        print(f"  ranker:   build {build:.0f} ms, per question median {med:.2f} ms, p99 {p99:.2f} ms")
        print(f"  baseline: build {base_build:.0f} ms, per question median {bmed:.2f} ms, p99 {bp99:.2f} ms")
        if label == "shipped":
            s = evaluate(ranker, dev)
            covered = [(i, q) for i, q in dev if i != "-"]
            hits = 0
            for fid, q in covered:
                _, _, idx = process.extractOne(fold(q), texts, scorer=fuzz.WRatio)
                hits += choices[idx][1] == fid
            print(f"  dev accuracy: ranker {s}")
            print(f"  dev accuracy: baseline top-1 {hits}/{len(covered)} = {hits / len(covered):.1%} "
                  "(never abstains: 0% abstention on uncovered questions)")


if __name__ == "__main__":
    main()
