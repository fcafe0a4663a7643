"""Reading content files with line numbers, so every problem is reported as
``file:line: what is wrong``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class ContentError(Exception):
    """One or more content files are wrong; ``problems`` lists them all."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Problems:
    """Collects problems while a loader goes on checking the rest."""

    items: list[str] = field(default_factory=list)

    def add(self, path: Path, line: int, what: str) -> None:
        self.items.append(f"{path}:{line}: {what}")

    def __bool__(self) -> bool:
        return bool(self.items)


@dataclass(frozen=True)
class Node:
    """A parsed YAML value with the line of each mapping key (1-based, in the file)."""

    value: Any
    line: int
    key_lines: dict[str, int]


def read_text(path: Path, problems: Problems) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.add(path, 1, "not UTF-8 text")
    except OSError as e:
        problems.add(path, 1, f"cannot read: {e.strerror}")
    return None


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser when there
    """SafeLoader that leaves dates as text, so a bad date is reported with its line
    by the loader that reads it instead of failing the whole file."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


MAX_DEPTH = 40
"""Deepest nesting of lists and mappings read (content needs a handful; the YAML
library recurses per level, so a file nested hundreds deep would crash it)."""

_OPEN = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken, yaml.FlowMappingStartToken,
         yaml.FlowSequenceStartToken)
_CLOSE = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


def _too_deep(text: str) -> int | None:
    """The 0-based line where nesting goes past MAX_DEPTH, if it does (read with the
    scanner, which does not recurse)."""
    depth = 0
    for token in yaml.scan(text, Loader=_Loader):
        if isinstance(token, _OPEN):
            depth += 1
            if depth > MAX_DEPTH:
                return token.start_mark.line
        elif isinstance(token, _CLOSE):
            depth -= 1
    return None


def parse_yaml(text: str, path: Path, problems: Problems, first_line: int = 1) -> Any:
    """YAML text → (value, composed node); ``first_line`` is where ``text`` starts in the file."""
    try:
        deep = _too_deep(text)
        if deep is not None:
            problems.add(path, first_line + deep,
                         f"nested too deeply (more than {MAX_DEPTH} levels of lists or mappings)")
            return None, None
        node = yaml.compose(text, Loader=_Loader)
        value = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = first_line + (mark.line if mark else 0)
        problems.add(path, line, f"not valid YAML: {getattr(e, 'problem', None) or e}")
        return None, None
    except RecursionError:  # the check above should make this unreachable
        problems.add(path, first_line, "nested too deeply to read")
        return None, None
    return value, node


def line_of(node: yaml.Node | None, first_line: int = 1) -> int:
    return first_line + (node.start_mark.line if node is not None else 0)


def mapping_lines(node: yaml.Node | None, first_line: int = 1) -> dict[str, int]:
    """key → line for a YAML mapping node."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {
        str(k.value): first_line + k.start_mark.line
        for k, _ in node.value
        if isinstance(k, yaml.ScalarNode)
    }


def items(value: Any, node: yaml.Node | None, first_line: int = 1) -> list[Node]:
    """The entries of a YAML list, each with its own key lines."""
    if not isinstance(value, list) or not isinstance(node, yaml.SequenceNode):
        return []
    return [
        Node(v, line_of(n, first_line), mapping_lines(n, first_line))
        for v, n in zip(value, node.value, strict=True)
    ]


def check_fields(
    mapping: dict, required: tuple[str, ...], known: tuple[str, ...],
    path: Path, line: int, key_lines: dict[str, int], problems: Problems,
) -> None:
    """Report missing required fields (at ``line``) and unknown ones (at their own line)."""
    for key in required:
        if mapping.get(key) in (None, "", []):
            problems.add(path, line, f"missing required field '{key}'")
    for key in mapping:
        if key not in known:
            problems.add(path, key_lines.get(str(key), line),
                         f"unknown field '{key}' (known: {', '.join(known)})")


LOCALES = ("vi", "en")


def locale_files(base: Path, pattern: str, problems: Problems) -> list[tuple[str, Path]]:
    """(locale, file) for every ``base/<locale>/<pattern>``; other folders are reported."""
    out = []
    if not base.is_dir():
        return out
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        if folder.name not in LOCALES:
            problems.add(folder, 1, f"unknown locale folder '{folder.name}' ({', '.join(LOCALES)})")
            continue
        out += [(folder.name, path) for path in sorted(folder.glob(pattern))]
    return out
