"""The secret scanner: the project's cassettes are clean, planted secrets are caught."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from asperion_orm.testing import Sandbox
from asperion_orm.testing.cassettes import EMULATOR_ORIGIN, Scrubber, use_cassette
from asperion_orm.testing.scan import Scanner, main, scan_paths

ROOT = Path(__file__).resolve().parents[2]
CASSETTES = ROOT / "cassettes"
CLEAN = CASSETTES / "oauth" / "test_forced_refresh_rotates_tokens.yaml"

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
HEX = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
BEARER = "q8Wv2LmN4pRt6YxZ0aBcDeFgHiJkLmNo"


def _plant(tmp_path: Path, old: str, new: str) -> Path:
    """Copy the clean cassette with one planted secret; return its path."""
    text = CLEAN.read_text()
    assert old in text
    path = tmp_path / "planted.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_project_cassettes_hold_no_secrets() -> None:
    files, findings = scan_paths([CASSETTES])
    assert len(files) >= 20
    assert findings == [], "\n".join(map(str, findings))


PLANTED = {
    "JWT in a JSON body": (
        '"token_type":"Bearer"',
        f'"token_type":"Bearer","profile":"{JWT}"',
        "JWT-shaped token",
    ),
    "bearer in a header": (
        "Bearer REDACTED_ACCESS_TOKEN_1",
        f"Bearer {BEARER}",
        "Bearer credential that is not a placeholder",
    ),
    "hex secret in a query string": (
        "/v1/administrations?page=1",
        f"/v1/administrations?sig={HEX}&page=1",
        "high-entropy string",
    ),
    "refresh token in a form body": (
        "refresh_token=REDACTED_REFRESH_TOKEN_1",
        "refresh_token=rt-live-0001",
        "'refresh_token' query/form value that is not a placeholder",
    ),
    "API key under a header name": (
        "      User-Agent:\n      - asperion-orm\n",
        "      User-Agent:\n      - asperion-orm\n      X-Api-Key:\n      - k3y\n",
        "'X-Api-Key' holds a value that is not a placeholder",
    ),
    "binary body": (
        "      string: ''",
        "      string: !!binary |\n        H4sIAAAAAAAA/ytJLS5RSM7PS0nNS1fILy0pKC0BAFK2/3wXAAAA",
        "binary or compressed body",
    ),
}


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_planted_secret_is_caught(tmp_path: Path, case: str) -> None:
    old, new, rule = PLANTED[case]
    path = _plant(tmp_path, old, new)
    _files, findings = scan_paths([path])
    assert any(rule in finding.rule for finding in findings), findings
    for secret in (JWT, HEX, BEARER, "rt-live-0001"):
        assert all(secret not in str(finding) for finding in findings)


def test_clean_cassette_passes() -> None:
    assert scan_paths([CLEAN])[1] == []


def test_cli_exit_status_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    planted = _plant(tmp_path, "Bearer REDACTED_ACCESS_TOKEN_1", f"Bearer {BEARER}")
    assert main([str(planted)]) == 1
    out, err = capsys.readouterr()
    assert f"{planted}:" in out and "q8Wv..." in out and BEARER not in out + err
    assert "1 of 1 cassette file(s)" in err
    assert main([str(CLEAN)]) == 0
    assert main([str(tmp_path / "missing")]) == 2
    assert main(["--allow", "^q8Wv", str(planted)]) == 0


def test_scanner_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "asperion_orm.testing.scan", str(CASSETTES)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no secret-looking values" in result.stdout


@pytest.mark.parametrize(
    "text",
    ["Bearer error=\"invalid_token\"", '{"code": "NL "}', "REDACTED_ACCESS_TOKEN_1",
     "https://emulator.asperion.invalid/v1/administrations/41201", "approvalRoutingRequired"],
)  # fmt: skip
def test_ordinary_values_are_not_flagged(text: str) -> None:
    assert list(Scanner().string(text)) == []


def test_the_state_of_a_recorded_login_is_not_flagged(
    asperion_sandbox: Sandbox, tmp_path: Path
) -> None:
    """``Sandbox.client()`` logs in with a random ``state``: a nonce, not a credential."""
    path = tmp_path / "login.yaml"
    scrubber = Scrubber({asperion_sandbox.identity_url: EMULATOR_ORIGIN})
    scrubber.secret(asperion_sandbox.client_secret, "CLIENT_SECRET")
    with use_cassette(path, record=True, scrubber=scrubber):
        client = asperion_sandbox.client()
        client.administrations()
        client.close()
    assert "state=" in path.read_text()
    assert scan_paths([path])[1] == []


def test_a_secret_beside_a_state_is_still_caught() -> None:
    url = f"https://x.test/connect/authorize?state=HU5177n93qV5hOoyS6svTA&sig={HEX}"
    assert list(Scanner().string(url)) == [("high-entropy string (token- or key-shaped)", HEX)]
    assert next(iter(Scanner().string(f"state={JWT}")))[0] == "JWT-shaped token"
