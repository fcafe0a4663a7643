"""The README and docs/ as an operator reads them: the two commands CI runs, every
configuration key, every command name and every link must be real."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from bot.__main__ import _parser
from bot.config import known_keys

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
# Commands the README documents that another part of the same change adds.
PENDING: set[str] = set()


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_the_readme_install_and_test_commands_are_the_ones_ci_runs():
    readme, ci = _text(README), _text(ROOT / ".ci" / "run")
    # .ci/run: "$venv/bin/pip" install --quiet -e ".[test]", then "$venv/bin/python" -m pytest
    assert re.search(r'/pip"? install (--quiet )?-e "\.\[test\]"\n', ci)
    assert re.search(r'/python"? -m pytest\n', ci)
    assert '.venv/bin/pip install -e ".[test]" && .venv/bin/python -m pytest' in readme


def test_every_configuration_key_is_explained_in_the_readme():
    readme = _text(README)
    table = readme[readme.index("## Cấu hình: mọi khóa"):readme.index("## Nhật ký (journalctl)")]
    missing = sorted(k for k in known_keys() | {"NHANONG_CONFIG"} if f"| `{k}` |" not in table)
    assert not missing, f"keys without a row in the README's configuration table: {missing}"


def test_every_command_the_readme_names_exists():
    commands = set(_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    named = set()
    for path in [README, *DOCS]:
        named |= set(re.findall(r"(?:python -m bot|nhanong-cli) ([a-z]+)\b", _text(path)))
    unknown = sorted(named - commands - PENDING)
    assert not unknown, f"commands in the README that the CLI does not have: {unknown}"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'."""
    s = heading.strip().lower()
    s = "".join(c for c in s if c in " -_" or unicodedata.category(c)[0] in "LN")
    return s.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    fence = False
    for line in _text(path).splitlines():
        if line.startswith("```"):
            fence = not fence
        m = None if fence else re.match(r"#{1,6} (.+)", line)
        if m:
            slug = _slug(m.group(1))
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def test_every_link_in_the_readme_and_docs_leads_somewhere():
    broken = []
    for path in [README, *DOCS]:
        for target in re.findall(r"\]\(([^)\s]+)\)", _text(path)):
            if re.match(r"[a-z]+:", target):
                continue  # https://, mailto: …
            file, _, anchor = target.partition("#")
            dest = (path.parent / file).resolve() if file else path
            if not dest.exists():
                broken.append(f"{path.name}: {target} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
                broken.append(f"{path.name}: {target} (no such heading)")
    assert not broken, "\n".join(broken)
