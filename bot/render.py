"""Render the core's Markdown replies for a channel's capabilities.

A channel with ``markup="html"`` gets the HTML subset (b, i, code, pre, a, blockquote); text-only
channels get plain text with line breaks.  Long text is split on paragraph
boundaries to fit the channel's limit; buttons become a numbered list on a
channel without buttons, so that replying "2" picks the second choice.
"""

from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt

from .i18n import md_escape
from .types import Button, Capabilities, Rendered, Reply

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_PLAIN_SAFE = re.compile(r"[\\`*_\[\]<>&!#|~]|^\s*([-+>]|\d+[.)])\s", re.M)


def utf16_len(text: str) -> int:
    """Length as chat platforms count it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def markdown_blocks(text: str, markup: str) -> list[str]:
    """Render Markdown to top-level blocks in ``markup`` ("html" or "plain")."""
    if not _PLAIN_SAFE.search(text):  # fast path: nothing to parse
        paras = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        return [html.escape(p, quote=False) for p in paras] if markup == "html" else paras
    return _Walker(markup == "html").blocks(text)


class _Walker:
    """Turns markdown-it tokens into HTML-subset or plain text blocks."""

    def __init__(self, as_html: bool) -> None:
        self.html = as_html

    def esc(self, s: str) -> str:
        return html.escape(s, quote=False) if self.html else s

    def tag(self, name: str, attrs: str = "") -> str:
        return f"<{name}{attrs}>" if self.html else ""

    def blocks(self, text: str) -> list[str]:
        tokens = _md.parse(text)
        out: list[str] = []
        cur: list[str] = []
        depth = 0
        lists: list[list[int]] = []  # per open list: [next number or -1 for bullets]
        prefix_next = ""
        heading = False
        for tok in tokens:
            t = tok.type
            if t in ("bullet_list_open", "ordered_list_open"):
                start = int(tok.attrGet("start") or 1) if t == "ordered_list_open" else -1
                lists.append([start])
            elif t in ("bullet_list_close", "ordered_list_close"):
                lists.pop()
            elif t == "list_item_open":
                indent = "  " * (len(lists) - 1)
                n = lists[-1]
                if n[0] < 0:
                    prefix_next = f"{indent}• "
                else:
                    prefix_next = f"{indent}{n[0]}. "
                    n[0] += 1
            elif t == "inline":
                body = self.inline(tok.children or [])
                if heading:
                    body = self.tag("b") + body + self.tag("/b")
                    heading = False
                if prefix_next:
                    cur.append(prefix_next + body)
                    prefix_next = ""
                else:
                    cur.append(body)
            elif t == "heading_open":
                heading = True
            elif t in ("fence", "code_block"):
                code = tok.content.rstrip("\n")
                cur.append(f"<pre>{self.esc(code)}</pre>" if self.html else code)
            elif t == "blockquote_open":
                depth += 1
            elif t == "blockquote_close":
                depth -= 1
            elif t == "hr":
                cur.append("———")
            # Close a top-level block when nothing is open any more.
            if tok.level == 0 and tok.nesting <= 0 and not lists and depth == 0 and cur:
                block = "\n".join(x for x in cur if x != "")
                if block:
                    out.append(block)
                cur = []
        if cur:
            out.append("\n".join(cur))
        return out

    def inline(self, children) -> str:
        parts: list[str] = []
        links: list[str] = []
        for c in children:
            t = c.type
            if t == "text":
                parts.append(self.esc(c.content))
            elif t == "code_inline":
                parts.append(f"<code>{self.esc(c.content)}</code>" if self.html else c.content)
            elif t in ("softbreak", "hardbreak"):
                parts.append("\n")
            elif t == "strong_open":
                parts.append(self.tag("b"))
            elif t == "strong_close":
                parts.append(self.tag("/b"))
            elif t == "em_open":
                parts.append(self.tag("i"))
            elif t == "em_close":
                parts.append(self.tag("/i"))
            elif t == "link_open":
                href = str(c.attrGet("href") or "")
                links.append(href)
                if self.html:
                    parts.append(f'<a href="{html.escape(href, quote=True)}">')
            elif t == "link_close":
                href = links.pop() if links else ""
                parts.append("</a>" if self.html else (f" ({href})" if href else ""))
            elif t == "image":
                parts.append(self.esc(c.content or str(c.attrGet("src") or "")))
            elif t == "html_inline":
                parts.append(self.esc(c.content))
        return "".join(parts)


def _fit(blocks: list[str], limit: int, as_html: bool) -> list[str]:
    """Pack blocks into chunks of at most ``limit`` (UTF-16 units), splitting
    oversize blocks on lines, then on spaces."""
    pieces: list[str] = []
    for b in blocks:
        if utf16_len(b) <= limit:
            pieces.append(b)
            continue
        # Too long for one message: fall back to plain text for this block so a
        # split can never break a tag or an entity, then cut on lines/spaces.
        plain = html.unescape(re.sub(r"<[^>]+>", "", b)) if as_html else b
        for part in _hard_split(plain, limit, _escaped_len if as_html else utf16_len):
            pieces.append(html.escape(part, quote=False) if as_html else part)
    chunks: list[str] = []
    cur = ""
    for p in pieces:
        joined = f"{cur}\n\n{p}" if cur else p
        if utf16_len(joined) <= limit:
            cur = joined
        else:
            chunks.append(cur)
            cur = p
    if cur:
        chunks.append(cur)
    return chunks


def _escaped_len(text: str) -> int:
    return utf16_len(html.escape(text, quote=False))


def _hard_split(text: str, limit: int, measure=utf16_len) -> list[str]:
    """Cut text into pieces whose ``measure`` is at most ``limit``: on line ends,
    then spaces, then anywhere for a word longer than a message."""
    out: list[str] = []
    cur = ""
    for word in re.split(r"(?<=\n)|(?<= )", text):
        while measure(word) > limit:
            cut = len(word)
            while measure(word[:cut]) > limit:
                cut = cut * 3 // 4
            if cur:
                out.append(cur)
                cur = ""
            out.append(word[:cut])
            word = word[cut:]
        if measure(cur + word) > limit:
            out.append(cur)
            cur = word
        else:
            cur += word
    if cur.strip():
        out.append(cur)
    return [o.strip() for o in out if o.strip()]


def numbered(buttons: list[Button]) -> str:
    """The Markdown list that stands for buttons on a text-only channel."""
    return "\n".join(f"{i}\\. {md_escape(b.label)}" for i, b in enumerate(buttons, 1))


def render(
    reply: Reply,
    caps: Capabilities,
    *,
    contact_label: str = "",
    skip_label: str = "",
    hint: str = "",
    words_hint: str = "",
    ways_out: frozenset[str] = frozenset(),
) -> list[Rendered]:
    """Turn one reply into the messages a channel sends, in order.

    On a text-only channel the buttons become a numbered list with ``hint`` ("type the
    number") under it, except where numbers are not what is asked: a reply whose answer
    is typed (``typed_answer``: a number, a date), or whose only choices are ways out
    (labels in ``ways_out``: "Skip", "Cancel") under a question that wants words (a
    commune's name).  Those choices are listed as words to type, with ``words_hint``."""
    as_html = caps.markup == "html"
    text = reply.text
    buttons = reply.buttons
    if buttons and not caps.buttons:
        choices = reply.actions()
        if reply.typed_answer or (ways_out and all(b.label in ways_out for b in choices)):
            listed = "\n".join(f"- {md_escape(b.label)}" for b in reply.actions())
            hint = words_hint
        else:
            listed = numbered(reply.actions())
        text = f"{text}\n\n{listed}" + (f"\n\n{hint}" if hint else "")
        buttons = []
    blocks = markdown_blocks(text, caps.markup) or [" "]
    limit = caps.max_text
    if reply.image or reply.audio:
        limit = min(limit, caps.max_caption)
    chunks = _fit(blocks, limit, as_html)
    rows = tuple(tuple(r) for r in buttons if r)
    out: list[Rendered] = []
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        out.append(
            Rendered(
                text=chunk,
                html=as_html,
                buttons=rows if last else (),
                ask_contact=reply.ask_contact and last and caps.contact_button,
                remove_keyboard=reply.close_keyboard and i == 0,
                contact_label=contact_label,
                skip_label=skip_label,
                image=reply.image if i == 0 else None,
                audio=reply.audio if i == 0 and not reply.image else None,
                document=reply.document if last else None,
            )
        )
    return out
