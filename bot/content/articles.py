"""Articles: Markdown files with YAML front matter, one folder per locale.

    content/articles/vi/<id>.md   (required)
    content/articles/en/<id>.md   (optional; falls back to vi)

Front matter keys: id, title, topics, date, summary, locale, and optionally
image (a path under content/) and faq (FAQ ids).  Every problem is reported
with the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .source import Problems, check_fields, locale_files, mapping_lines, parse_yaml, read_text

REQUIRED = ("id", "title", "topics", "date", "summary", "locale")
KNOWN = (*REQUIRED, "image", "faq", "links")
ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,47}")  # travels in 64-byte button data


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    topics: tuple[str, ...]
    date: date
    summary: str
    locale: str
    body: str
    image: Path | None
    faq: tuple[str, ...]
    path: Path
    faq_line: int = 1
    # Where the union also publishes the article on a channel (channel name → https URL,
    # e.g. an article of its official account): the "Read the article" button of a
    # broadcast on that channel opens it there.
    links: dict[str, str] = field(default_factory=dict)


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """(front matter, body, line where the body starts) or None when absent."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), i + 2
    return None


def load_article(path: Path, root: Path, locale: str, topics: set[str], problems: Problems) -> Article | None:
    text = read_text(path, problems)
    if text is None:
        return None
    parts = split_front_matter(text)
    if parts is None:
        problems.add(path, 1, "no front matter: the file must start with a line '---'")
        return None
    head, body, _ = parts
    meta, node = parse_yaml(head, path, problems, first_line=2)
    if meta is None and node is None:
        return None
    if not isinstance(meta, dict):
        problems.add(path, 2, "front matter must be key: value lines")
        return None
    lines = mapping_lines(node, first_line=2)
    before = len(problems.items)

    def at(key: str) -> int:
        return lines.get(key, 2)

    check_fields(meta, REQUIRED, KNOWN, path, 2, lines, problems)
    aid = meta.get("id")
    if aid is not None and (not isinstance(aid, str) or not ID_RE.fullmatch(aid)):
        problems.add(path, at("id"), f"id {aid!r} must be 1-48 lowercase letters, digits and dashes")
    title = meta.get("title")
    if title is not None and (not isinstance(title, str) or len(title) > 200):
        problems.add(path, at("title"), "title must be text of at most 200 characters")
    tlist = meta.get("topics")
    if tlist is not None:
        if not isinstance(tlist, list) or not all(isinstance(t, str) for t in tlist):
            problems.add(path, at("topics"), "topics must be a list such as [ocop, htx]")
        else:
            for t in tlist:
                if t not in topics:
                    known = ", ".join(sorted(topics))
                    problems.add(path, at("topics"), f"unknown topic '{t}' (known: {known})")
    when = meta.get("date")
    if when is not None and not isinstance(when, date):
        try:
            when = date.fromisoformat(str(when))
        except ValueError:
            problems.add(path, at("date"), f"date {meta.get('date')!r} is not YYYY-MM-DD")
    summary = meta.get("summary")
    if summary is not None and (not isinstance(summary, str) or len(summary) > 300):
        problems.add(path, at("summary"), "summary must be text of at most 300 characters")
    loc = meta.get("locale")
    if loc is not None and loc != locale:
        problems.add(path, at("locale"), f"locale '{loc}' does not match the folder '{locale}'")
    image = meta.get("image")
    image_path = None
    if image is not None:
        image_path = (root / str(image)).resolve()
        if not str(image_path).startswith(str(root.resolve())) or not image_path.is_file():
            problems.add(path, at("image"), f"image '{image}' not found under {root}")
        elif image_path.suffix.lower() not in {".jpg", ".jpeg", ".png", ".webp"}:
            problems.add(path, at("image"), f"image '{image}' must be .jpg, .png or .webp")
    faq = meta.get("faq") or []
    if not isinstance(faq, list) or not all(isinstance(f, str) for f in faq):
        problems.add(path, at("faq"), "faq must be a list of FAQ ids such as [ocop.what]")
        faq = []
    links = meta.get("links") or {}
    if not isinstance(links, dict):
        problems.add(path, at("links"), "links must be lines of channel: https address")
        links = {}
    from ..channels import names as channel_names

    for channel, url in links.items():
        if channel not in channel_names():
            problems.add(path, at("links"), f"links: unknown channel '{channel}' (channels: "
                                            f"{', '.join(channel_names())})")
        elif not isinstance(url, str) or not url.startswith("https://") or " " in url.strip():
            problems.add(path, at("links"), f"links: {channel} must be an https:// address")
    if aid and isinstance(aid, str) and path.stem != aid:
        problems.add(path, at("id"), f"id '{aid}' must match the file name '{path.stem}.md'")
    if not body.strip():
        problems.add(path, len(text.split("\n")), "the article has no text after the front matter")
    if len(problems.items) > before:
        return None
    return Article(
        id=aid, title=title.strip(), topics=tuple(tlist), date=when, summary=summary.strip(),
        locale=locale, body=body.strip(), image=image_path, faq=tuple(faq), path=path,
        faq_line=at("faq"), links={str(k): str(v).strip() for k, v in links.items()},
    )


def load_articles(
    root: Path, topics: set[str], problems: Problems
) -> dict[str, dict[str, Article]]:
    """locale → id → article."""
    out: dict[str, dict[str, Article]] = {}
    base = root / "articles"
    if not (base / "vi").is_dir():
        problems.add(base / "vi", 1, "the Vietnamese articles folder is missing")
        return out
    for locale, path in locale_files(base, "*.md", problems):
        art = load_article(path, root, locale, topics, problems)
        if art is None:
            continue
        if art.id in out.get(locale, {}):
            problems.add(path, 2, f"duplicate id '{art.id}' (also in {out[locale][art.id].path})")
            continue
        out.setdefault(locale, {})[art.id] = art
    for aid, art in out.get("en", {}).items():
        if aid not in out.get("vi", {}):
            problems.add(art.path, 2, f"English article '{aid}' has no Vietnamese original")
    return out
