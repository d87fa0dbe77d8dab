"""Find secret-looking values in recorded cassettes: ``python -m asperion_orm.testing.scan DIR``.

The scanner shares nothing with the scrubber that wrote the cassettes: it looks for shapes
(JWTs, ``Bearer``/``Basic`` credentials, private keys, long high-entropy base64 or hex runs,
binary bodies) and for secret-sounding names (``*secret*``, ``*token*``, ``*password*``,
``code=``...) whose value is not a placeholder. A scrubber that forgot a name, or a secret
under an unexpected key, is still caught. The OAuth ``state`` of a login is a random
one-time nonce, not a credential, and is not flagged. Findings show a masked excerpt, never
the value. Exit status: 0 clean, 1 findings, 2 usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml

__all__ = ["Finding", "Scanner", "main", "scan_paths"]

PLACEHOLDER = re.compile(r"^REDACTED[A-Z0-9_-]*$")
"""Values the scanner accepts anywhere: the placeholders scrubbed cassettes carry."""

SUFFIXES = (".yaml", ".yml", ".json")

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_CREDENTIAL = re.compile(r"\b(Bearer|Basic|Digest|Token)\s+([^\s\"',;]+)", re.IGNORECASE)
_AUTH_PARAM = re.compile(r"^[a-z_]+=$|^[^=]+=[^=]")
_COOKIE_ATTRIBUTES = frozenset({"path", "domain", "expires", "max-age", "samesite", "priority"})
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_RUN = re.compile(r"[A-Za-z0-9+/_-]{20,}={0,2}")
_HEX = re.compile(r"[0-9a-fA-F]{32,}")
_SECRET_KEY = re.compile(
    r"secret|token|passw|pwd|api[_-]?key|authorization|cookie|credential|private[_-]?key|"
    r"assertion|verifier|signature",
    re.IGNORECASE,
)
_NONCE_NAMES = frozenset({"state"})
"""Parameters whose random values are one-time nonces of the OAuth flow, not credentials."""
_HARMLESS_KEY = re.compile(
    r"(token_?type|expires(_?in|_?at)?|_?endpoint|_?ur[il]|_?method|_?hint|_?count)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Finding:
    """One secret-looking value: where, which rule, and a masked excerpt."""

    path: Path
    line: int | None
    rule: str
    excerpt: str

    def __str__(self) -> str:
        """Return ``path:line: rule: excerpt``."""
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.rule}: {self.excerpt}"


def mask(value: str) -> str:
    """Show the first four characters and the length of a value, never all of it."""
    value = value.strip()
    return f"{value[:4]}... ({len(value)} chars)" if len(value) > 4 else "**** (short)"


def entropy(text: str) -> float:
    """Return the Shannon entropy of ``text`` in bits per character."""
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _high_entropy(run: str) -> bool:
    """Tell whether a base64/hex run looks random enough to be a key or token."""
    if _HEX.fullmatch(run):
        return (
            entropy(run) >= 3.0 and any(c.isdigit() for c in run) and any(c.isalpha() for c in run)
        )
    classes = sum(
        (
            any(c.islower() for c in run),
            any(c.isupper() for c in run),
            any(c.isdigit() for c in run),
        )
    )
    score = entropy(run)
    return (classes == 3 and score >= 3.5) or (len(run) >= 32 and classes >= 2 and score >= 4.2)


class Scanner:
    """Scan text, parsed cassette data and files for secret-looking values."""

    def __init__(self, allow: Sequence[str] = ()) -> None:
        """Accept placeholders, and values matching any ``allow`` regex."""
        self._allow = [re.compile(pattern) for pattern in allow]

    def allowed(self, value: str) -> bool:
        """Tell whether a value is a placeholder or explicitly allowed."""
        value = value.strip()
        return bool(PLACEHOLDER.match(value)) or any(p.search(value) for p in self._allow)

    # -- values ---------------------------------------------------------------------------

    def string(self, text: str) -> Iterator[tuple[str, str]]:
        """Yield ``(rule, value)`` for secret shapes inside one string."""
        for match in _JWT.finditer(text):
            yield "JWT-shaped token", match.group()
        for match in _CREDENTIAL.finditer(text):
            credential = match.group(2)
            if _AUTH_PARAM.match(credential):  # a challenge (error="..."), not a credential
                continue
            if not self.allowed(credential) and len(credential) >= 4:
                yield f"{match.group(1)} credential that is not a placeholder", match.group(2)
        if _PRIVATE_KEY.search(text):
            yield "private key", _PRIVATE_KEY.search(text).group()  # type: ignore[union-attr]
        nonces = _nonces(text)
        for match in _RUN.finditer(text):
            run = match.group()
            if run in nonces or self.allowed(run) or _JWT.search(run):
                continue
            if _high_entropy(run):
                yield "high-entropy string (token- or key-shaped)", run
        yield from self._nested(text)

    def pair(self, key: str, value: Any) -> Iterator[tuple[str, str]]:
        """Yield findings for a named value: a secret-sounding name needs a placeholder."""
        if isinstance(value, bytes):
            yield "binary or compressed body (store bodies decoded)", f"<{len(value)} bytes>"
            return
        if not isinstance(value, str):
            return
        text = value.strip()
        if text and self._secret_name(key, text):
            for part in _parts(text):
                if not self.allowed(part):
                    yield f"{key!r} holds a value that is not a placeholder", part
        yield from self.string(value)

    def _secret_name(self, key: str, value: str) -> bool:
        if key.lower() == "code":  # OAuth codes; short ones are data ("NL", "8000")
            return len(value) >= 8 and " " not in value
        return bool(_SECRET_KEY.search(key)) and not _HARMLESS_KEY.search(key)

    def _nested(self, text: str) -> Iterator[tuple[str, str]]:
        """Look inside strings that hold JSON, a query string or a form body."""
        stripped = text.strip()
        if stripped[:1] in ("{", "["):
            with contextlib.suppress(ValueError):
                yield from self.data(json.loads(stripped))
            return
        for key, value in _query_pairs(stripped):
            if key.lower() == "code" and value and not self.allowed(value):
                yield "'code' query/form value that is not a placeholder", value
            elif value and not self.allowed(value) and self._secret_name(key, value):
                yield f"{key!r} query/form value that is not a placeholder", value

    def data(self, node: Any, key: str = "") -> Iterator[tuple[str, str]]:
        """Walk parsed YAML/JSON, checking every named and unnamed value."""
        if isinstance(node, dict):
            for name, value in node.items():
                yield from self.data(value, str(name))
        elif isinstance(node, list):
            for item in node:
                yield from self.data(item, key)
        else:
            yield from self.pair(key, node)

    # -- files ----------------------------------------------------------------------------

    def file(self, path: Path) -> list[Finding]:
        """Return the findings of one cassette file (YAML or JSON; else its raw lines)."""
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return [Finding(path, None, "file is not UTF-8 text (binary cassette)", "")]
        found = [(rule, value) for rule, value in self._parsed(text)]
        if "!!binary" in text:
            found.append(("binary or compressed body (store bodies decoded)", "!!binary"))
        return _unique(path, text, found)

    def _parsed(self, text: str) -> Iterator[tuple[str, str]]:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            data = None
        if isinstance(data, dict | list):
            yield from self.data(data)
            return
        for line in text.splitlines():
            yield from self.string(line)


def _query_pairs(text: str) -> list[tuple[str, str]]:
    """Return the parameters of a URL, query string or form body (none for other text)."""
    stripped = text.strip()
    query = urlsplit(stripped).query if "://" in stripped else stripped
    if "=" not in query or " " in query:
        return []
    return parse_qsl(query, keep_blank_values=True)


def _nonces(text: str) -> set[str]:
    """Return the OAuth ``state`` values in a URL or form: random, but no credential."""
    return {value for name, value in _query_pairs(text) if name.lower() in _NONCE_NAMES}


def _parts(value: str) -> list[str]:
    """Split ``Bearer x`` into its credential and ``a=1; b=2`` into its values."""
    credential = _CREDENTIAL.fullmatch(value)
    if credential:
        return [credential.group(2)]
    if "=" in value and " " not in value.replace("; ", ""):
        pairs = (part.strip().partition("=") for part in value.split(";"))
        return [v for k, _, v in pairs if v and k.lower() not in _COOKIE_ATTRIBUTES]
    return [value]


def _unique(path: Path, text: str, found: Iterable[tuple[str, str]]) -> list[Finding]:
    """Turn ``(rule, value)`` pairs into findings with line numbers, one per value and rule."""
    seen: set[tuple[str, str]] = set()
    findings = []
    for rule, value in found:
        if (rule, value) not in seen:
            seen.add((rule, value))
            findings.append(Finding(path, _line_of(text, value), rule, mask(value)))
    return findings


def _line_of(text: str, value: str) -> int | None:
    probe = value.strip()[:16]
    index = text.find(probe) if probe else -1
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def cassette_files(paths: Iterable[Path]) -> list[Path]:
    """Return the cassette files under ``paths`` (files given directly are always included)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES))
        else:
            files.append(path)
    return files


def scan_paths(
    paths: Iterable[Path], allow: Sequence[str] = ()
) -> tuple[list[Path], list[Finding]]:
    """Scan every cassette under ``paths``; return the files scanned and the findings."""
    scanner = Scanner(allow)
    files = cassette_files(paths)
    return files, [finding for path in files for finding in scanner.file(path)]


def main(argv: Sequence[str] | None = None) -> int:
    """Scan the given directories or files; print a report; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m asperion_orm.testing.scan",
        description="Fail when a recorded cassette holds a secret-looking value.",
    )
    parser.add_argument("paths", nargs="+", type=Path, help="cassette directories or files")
    parser.add_argument(
        "--allow", action="append", default=[], help="regex of a value to accept (repeatable)"
    )
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        print(f"no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    files, findings = scan_paths(args.paths, args.allow)
    for finding in findings:
        print(finding)
    if findings:
        print(
            f"{len(findings)} secret-looking value(s) in {len({f.path for f in findings})} of "
            f"{len(files)} cassette file(s). Scrub them (and rotate any real credential).",
            file=sys.stderr,
        )
        return 1
    print(f"{len(files)} cassette file(s) scanned: no secret-looking values.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
