"""FAQ entries (``content/faq/<locale>/*.yaml``): each a list of entries with id,
question, variants, keywords, answer, related FAQ ids and linked articles."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .source import (
    Problems,
    check_fields,
    items,
    locale_files,
    mapping_lines,
    parse_yaml,
    read_text,
)

REQUIRED = ("id", "question", "variants", "answer", "locale")
KNOWN = (*REQUIRED, "keywords", "articles", "related")
ID_RE = re.compile(r"[a-z][a-z0-9_]*\.[a-z0-9_.]{1,40}")
MIN_VARIANTS = 6


@dataclass(frozen=True)
class FaqEntry:
    id: str
    question: str
    variants: tuple[str, ...]
    keywords: tuple[str, ...]
    answer: str
    articles: tuple[str, ...]
    related: tuple[str, ...]
    locale: str
    path: Path
    line: int
    related_line: int
    articles_line: int


def _strings(value: object) -> tuple[str, ...] | None:
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return None


def load_faq(root: Path, problems: Problems) -> dict[str, dict[str, FaqEntry]]:
    """locale → id → entry (cross references are checked by the library)."""
    out: dict[str, dict[str, FaqEntry]] = {}
    for locale, path in locale_files(root / "faq", "*.yaml", problems):
        text = read_text(path, problems)
        if text is None:
            continue
        value, node = parse_yaml(text, path, problems)
        if value is None and node is None:
            continue
        entries = items(value, node)
        if not entries:
            problems.add(path, 1, "must be a list of FAQ entries")
            continue
        for e in entries:
            entry = _entry(e, path, locale, problems)
            if entry is None:
                continue
            if entry.id in out.get(locale, {}):
                other = out[locale][entry.id]
                problems.add(path, e.key_lines.get("id", e.line),
                             f"duplicate FAQ id '{entry.id}' (also {other.path}:{other.line})")
                continue
            out.setdefault(locale, {})[entry.id] = entry
    return out


def _entry(e, path: Path, locale: str, problems: Problems) -> FaqEntry | None:
    item = e.value
    if not isinstance(item, dict):
        problems.add(path, e.line, "each FAQ entry is a mapping (id, question, variants, answer…)")
        return None
    before = len(problems.items)

    def at(key: str) -> int:
        return e.key_lines.get(key, e.line)

    check_fields(item, REQUIRED, KNOWN, path, e.line, e.key_lines, problems)
    fid = item.get("id")
    if fid is not None and (not isinstance(fid, str) or not ID_RE.fullmatch(fid)):
        problems.add(path, at("id"), f"id {fid!r} must look like 'ocop.what'")
    lists = {k: _strings(item.get(k)) for k in ("variants", "keywords", "articles", "related")}
    for k, v in lists.items():
        if v is None:
            problems.add(path, at(k), f"{k} must be a list of texts")
    variants = lists["variants"] or ()
    if item.get("variants") and len(set(variants)) < MIN_VARIANTS:
        have = len(set(variants))
        problems.add(path, at("variants"), f"needs at least {MIN_VARIANTS} different variants, has {have}")
    for key in ("question", "answer"):
        if item.get(key) is not None and not isinstance(item.get(key), str):
            problems.add(path, at(key), f"{key} must be text")
    if item.get("locale") not in (None, locale):
        got = item.get("locale")
        problems.add(path, at("locale"), f"locale '{got}' does not match the folder '{locale}'")
    if len(problems.items) > before:
        return None
    return FaqEntry(
        id=fid, question=item["question"].strip(), variants=variants,
        keywords=lists["keywords"] or (), answer=item["answer"].strip(),
        articles=lists["articles"] or (), related=lists["related"] or (), locale=locale,
        path=path, line=e.line, related_line=at("related"), articles_line=at("articles"),
    )


def load_lexicon(root: Path, problems: Problems) -> tuple[dict[str, str], list[str]]:
    """``faq/abbreviations.yaml`` (abbreviation: expansion) and ``faq/stopwords.yaml``
    (a list of fillers); both optional, both checked."""
    abbrev: dict[str, str] = {}
    stop: list[str] = []
    path = root / "faq" / "abbreviations.yaml"
    if path.exists() and (text := read_text(path, problems)) is not None:
        value, node = parse_yaml(text, path, problems)
        if value is not None and not isinstance(value, dict):
            problems.add(path, 1, "must be a mapping such as 'ko: không'")
        elif isinstance(value, dict):
            lines = mapping_lines(node)
            for k, v in value.items():
                if not isinstance(v, str | int) or not str(k).strip() or not str(v).strip():
                    problems.add(path, lines.get(str(k), 1), f"'{k}' needs a text expansion")
                else:
                    abbrev[str(k)] = str(v)
    path = root / "faq" / "stopwords.yaml"
    if path.exists() and (text := read_text(path, problems)) is not None:
        value, node = parse_yaml(text, path, problems)
        if value is not None and not isinstance(value, list):
            problems.add(path, 1, "must be a list of words or phrases")
        elif isinstance(value, list):
            stop = [str(v) for v in value if str(v).strip()]
    return abbrev, stop
