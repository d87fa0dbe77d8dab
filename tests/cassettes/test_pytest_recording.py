"""The documented ``@pytest.mark.vcr`` example, run as written: it records, then replays."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from docs.snippets import DOCS, blocks

from asperion_orm.testing.scan import scan_paths

# Next to the example (it does not change it): keeps what the run saw, for the checks here.
# Its fixture is set up after pytest-recording's cassette and torn down before it is written.
OBSERVER = """
import json
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def observe(asperion_vcr):
    yield
    sandbox = asperion_vcr.sandbox
    seen = {
        "recording": asperion_vcr.recording,
        "sandbox": sandbox is not None,
        "network_attempts": len(asperion_vcr.blocked),
        "requests": len(sandbox.request_log) if sandbox else 0,
        "origin": sandbox.identity_url if sandbox else None,
        "secrets": [] if sandbox is None else [
            sandbox.client_secret,
            sandbox.password,
            *(value for client in asperion_vcr._clients
              for value in (client.token.access_token, client.token.refresh_token)),
        ],
    }
    runs = Path(__file__).with_name("runs.json")
    previous = json.loads(runs.read_text()) if runs.exists() else []
    runs.write_text(json.dumps([*previous, seen]))
"""


def documented_example() -> str:
    """Return the Python block under "With pytest-recording's marker", as the page shows it."""
    page = DOCS / "testing-with-cassettes.md"
    after = page.read_text().index("## With pytest-recording's marker")
    line = page.read_text()[:after].count("\n") + 1
    block = next(b for b in blocks(page) if b.language == "python" and b.line > line)
    assert "@pytest.mark.vcr" in block.code and "asperion_vcr" in block.code
    return block.code


def run(tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         "-W", "error", "--rootdir", str(tmp_path), "test_documented.py", *options],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_documented_vcr_example_records_then_replays_offline(tmp_path: Path) -> None:
    (tmp_path / "test_documented.py").write_text(documented_example())
    (tmp_path / "conftest.py").write_text(textwrap.dedent(OBSERVER))
    cassette = tmp_path / "cassettes" / "test_documented" / "test_with_pytest_recording.yaml"

    recorded = run(tmp_path, "--record-mode=once")
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    text = cassette.read_text()
    replayed = run(tmp_path, "--block-network")
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr

    first, second = json.loads((tmp_path / "runs.json").read_text())
    assert first["recording"] and first["sandbox"]
    assert first["requests"] == text.count("\n- request:") == 4  # login (2), list, page
    assert len(first["secrets"]) == 4
    assert [secret for secret in first["secrets"] if secret in text] == []
    assert first["origin"] not in text and "https://emulator.asperion.invalid/v1/" in text
    assert "Bearer REDACTED_ACCESS_TOKEN_1" in text
    assert scan_paths([cassette])[1] == []
    # Replay: no emulator, no connection attempted, and the cassette is left as recorded.
    assert second == {**second, "recording": False, "sandbox": False, "network_attempts": 0}
    assert cassette.read_text() == text


def test_replaying_a_missing_cassette_says_how_to_record_it(tmp_path: Path) -> None:
    (tmp_path / "test_documented.py").write_text(documented_example())
    result = run(tmp_path)
    assert result.returncode == 1
    assert 'pytest "test_documented.py::test_with_pytest_recording" --record-mode=once' in (
        result.stdout
    )


def test_new_episodes_over_a_recording_asks_for_a_rewrite(tmp_path: Path) -> None:
    (tmp_path / "test_documented.py").write_text(documented_example())
    assert run(tmp_path, "--record-mode=once").returncode == 0
    result = run(tmp_path, "--record-mode=new_episodes")
    assert result.returncode == 1
    assert "--record-mode=rewrite" in result.stdout
    assert run(tmp_path, "--record-mode=rewrite").returncode == 0
