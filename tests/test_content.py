"""The content loader: every kind of problem is reported with its file and line;
every shipped article and FAQ entry loads and renders within Telegram's limits."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content import ContentError, check, load_library
from bot.render import render, utf16_len
from bot.types import Reply
from tests.helpers import BUTTONS, TEXT_ONLY

SHIPPED = Path(__file__).resolve().parent.parent / "content"
FAQ_TOPICS = Path(__file__).resolve().parent.parent.parent / "shared" / "faq-topics.md"

GOOD = """---
id: bai-thu
title: "Bài thử"
topics: [ocop]
date: 2026-03-02
summary: "Tóm tắt."
locale: vi
---

Nội dung bài **thử**.
"""


@pytest.fixture
def content(tmp_path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(SHIPPED, root)
    return root


def write(root: Path, name: str, text: str) -> Path:
    p = root / "articles" / "vi" / name
    p.write_text(text, encoding="utf-8")
    return p


def problems_for(root: Path) -> list[str]:
    with pytest.raises(ContentError) as e:
        load_library(root)
    return e.value.problems


def test_shipped_content_is_clean():
    assert check(SHIPPED) == []
    lib = load_library(SHIPPED)
    assert len(lib.articles["vi"]) >= 15
    for art in lib.articles["vi"].values():
        words = len(art.body.split())
        assert 150 <= words <= 420, (art.id, words)


def test_every_faq_topic_id_exists():
    import re

    ids = set(re.findall(r"^\| ([a-z]+\.[a-z_]+) \|", FAQ_TOPICS.read_text(), re.M)) if \
        FAQ_TOPICS.exists() else set()
    lib = load_library(SHIPPED)
    assert ids <= set(lib.faq["vi"]), sorted(ids - set(lib.faq["vi"]))


def test_every_shipped_article_renders_within_telegram_limits():
    lib = load_library(SHIPPED)
    for art in lib.articles["vi"].values():
        for caps in (BUTTONS, TEXT_ONLY):
            out = render(Reply(f"**{art.title}**\n\n{art.body}"), caps)
            assert all(0 < utf16_len(m.text) <= caps.max_text for m in out), art.id
        html = render(Reply(art.body), BUTTONS)[0].text
        assert "**" not in html and "](" not in html, art.id  # Markdown fully converted


@pytest.mark.parametrize(
    ("name", "text", "line", "what"),
    [
        ("no-front.md", "Chỉ có chữ.\n", 1, "no front matter"),
        ("bai-thu.md", GOOD.replace('title: "Bài thử"\n', ""), 2, "missing required field 'title'"),
        ("bai-thu.md", GOOD.replace("topics: [ocop]", "topics: [ocop, thoitiet]"), 4,
         "unknown topic 'thoitiet'"),
        ("bai-thu.md", GOOD.replace("2026-03-02", "2026-13-45"), 5, "is not YYYY-MM-DD"),
        ("bai-thu.md", GOOD.replace("locale: vi\n", "locale: vi\nimage: images/khong-co.png\n"), 8,
         "image 'images/khong-co.png' not found"),
        ("bai-thu.md", GOOD.replace("locale: vi\n", "locale: vi\nfaq: [ocop.khongco]\n"), 8,
         "linked FAQ id 'ocop.khongco' does not exist"),
        ("bai-thu.md", GOOD.replace("locale: vi\n", "locale: vi\ntags: [x]\n"), 8, "unknown field 'tags'"),
        ("bai-khac.md", GOOD, 2, "must match the file name"),
        ("bai-thu.md", GOOD.replace('title: "Bài thử"', 'title: "Bài: thử: [lỗi'), 6, "not valid YAML"),
        ("bai-thu.md", GOOD.split("---\n\n")[0] + "---\n\n", 10, "no text after the front matter"),
    ],
)
def test_each_kind_of_problem_names_file_and_line(content, name, text, line, what):
    path = write(content, name, text)
    found = problems_for(content)
    assert any(p.startswith(f"{path}:{line}: ") and what in p for p in found), found


def test_duplicate_id_across_files(content):
    write(content, "bai-thu.md", GOOD)
    dup = content / "articles" / "vi" / "ocop-la-gi.md"
    dup.write_text(dup.read_text(encoding="utf-8").replace("id: ocop-la-gi", "id: bai-thu"),
                   encoding="utf-8")
    assert any("must match the file name" in p for p in problems_for(content))


def test_faq_problems_name_file_and_line(content):
    path = content / "faq" / "vi" / "extra.yaml"
    path.write_text(
        "- id: ocop.what\n  question: Trùng\n  variants: [a, b, c, d, e, f]\n  answer: x\n  locale: vi\n"
        "- id: ocop.new\n  question: Mới\n  variants: [a, b]\n  answer: x\n  locale: vi\n"
        "  related: [ocop.khongco]\n  articles: [bai-khong-co]\n",
        encoding="utf-8",
    )
    found = problems_for(content)
    assert any("duplicate FAQ id 'ocop.what'" in p and f"{path}:1" in p for p in found), found
    assert any(p.startswith(f"{path}:8: needs at least 6") for p in found), found


def test_all_problems_are_listed_not_just_the_first(content):
    write(content, "a.md", "no front matter")
    write(content, "b.md", "nor here")
    found = problems_for(content)
    assert len([p for p in found if "no front matter" in p]) == 2


def test_english_falls_back_to_vietnamese(content):
    en = content / "articles" / "en"
    en.mkdir()
    src = (content / "articles" / "vi" / "ocop-la-gi.md").read_text(encoding="utf-8")
    (en / "ocop-la-gi.md").write_text(
        src.replace("locale: vi", "locale: en").replace("title: ", 'title: "What is OCOP?"\nx_: ', 1)
        .replace("x_: ", "# ", 1), encoding="utf-8")
    lib = load_library(content)
    assert lib.article("ocop-la-gi", "en").title == "What is OCOP?"
    assert lib.article("vietgap-chung-nhan", "en").locale == "vi"  # no translation: Vietnamese


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("vietgap", "vietgap-chung-nhan"),
        ("VietGAP", "vietgap-chung-nhan"),
        ("mã vạch", "truy-xuat-nguon-goc-ma-vach-nhan-hieu"),
        ("ma vach", "truy-xuat-nguon-goc-ma-vach-nhan-hieu"),
        ("tìm bài về mã vạch", "truy-xuat-nguon-goc-ma-vach-nhan-hieu"),
        ("địa chỉ sáp nhập", "ghi-dia-chi-sau-sap-nhap"),
        ("dia chi sap nhap", "ghi-dia-chi-sau-sap-nhap"),
        ("vay vốn", "quy-ho-tro-nong-dan-vay-von"),
        ("logo ocop", "ocop-su-dung-bieu-trung"),
    ],
)
def test_search_with_and_without_diacritics(query, expected):
    assert load_library(SHIPPED).search(query)[0].id == expected


def test_search_for_nothing_relevant_finds_nothing():
    assert load_library(SHIPPED).search("giá lợn hơi hôm nay xyz") == []


def test_abbreviation_and_filler_files_are_checked(content):
    (content / "faq" / "abbreviations.yaml").write_text("- ko\n- dc\n", encoding="utf-8")
    (content / "faq" / "stopwords.yaml").write_text("ạ: 1\n", encoding="utf-8")
    found = problems_for(content)
    assert any("abbreviations.yaml:1: must be a mapping" in p for p in found), found
    assert any("stopwords.yaml:1: must be a list" in p for p in found), found


def test_series_problems_name_file_and_line(content):
    path = content / "series.yaml"
    path.write_text(
        "- id: thu\n  title: Thử\n  topic: ocop\n  cadence: 'thứ hai 7h'\n  articles: [ocop-la-gi]\n"
        "- id: thu2\n  title: Thử\n  topic: ocop\n  cadence: 'mon 07:00'\n  articles: [khong-co]\n",
        encoding="utf-8")
    found = problems_for(content)
    assert any(p.startswith(f"{path}:4: cadence") for p in found), found
    assert any(p.startswith(f"{path}:10: series 'thu2': article 'khong-co'") for p in found), found
