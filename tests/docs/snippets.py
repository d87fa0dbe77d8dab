"""Pull the Python code blocks out of the documentation pages, and run them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
SKIP_MARK = "<!-- skip -->"
# Pages whose code is checked elsewhere (the cassette page's blocks are pytest tests).
NOT_RUN = frozenset({"testing-with-cassettes.md"})

_FENCE = re.compile(
    r"^(?P<indent> *)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```", re.M | re.S
)


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: str
    line: int
    language: str
    code: str
    skipped: bool

    def __str__(self) -> str:
        return f"{self.page}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """Return the fenced blocks of ``path`` in order, noting a ``<!-- skip -->`` above a fence."""
    text = path.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        skipped = SKIP_MARK in _comments_before(text[: match.start()])
        indent = len(match.group("indent"))
        code = "\n".join(line[indent:] for line in match.group("body").splitlines())
        line = text.count("\n", 0, match.start()) + 1
        found.append(Block(path.name, line, match.group("lang"), code, skipped))
    return found


def _comments_before(text: str) -> list[str]:
    """Return the HTML comment lines directly above a fence (``<!-- skip -->``, ...)."""
    comments = []
    for line in reversed(text.rstrip().splitlines()):
        if not (line.strip().startswith("<!--") and line.strip().endswith("-->")):
            break
        comments.append(line.strip())
    return comments


def pages() -> list[Path]:
    """Return the documentation pages whose Python blocks the tests run."""
    return sorted(p for p in DOCS.rglob("*.md") if p.name not in NOT_RUN)


def python_blocks(path: Path) -> list[Block]:
    """Return the runnable Python blocks of a page."""
    return [b for b in blocks(path) if b.language in ("python", "py") and not b.skipped]
