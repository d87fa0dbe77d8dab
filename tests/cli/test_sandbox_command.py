"""``asperion sandbox``, ``asperion inspectapi`` and ``asperion demo``."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import requests

import asperion_orm.testing.emulator
from asperion_orm.cli import Environment

from .conftest import Invoke


def _read_until(stream: IO[str], marker: str) -> list[str]:
    lines: list[str] = []
    for _ in range(40):
        lines.append(stream.readline())
        if marker in lines[-1] or not lines[-1]:
            break
    return lines


def _value(lines: list[str], label: str) -> str:
    return next(line.split(label, 1)[1].strip() for line in lines if label in line)


def test_sandbox_serves_until_interrupted() -> None:
    command = [
        sys.executable, "-m", "asperion_orm.cli", "sandbox", "--records", "debtors=7",
        "--text-match", "exact-cs",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as process:
        assert process.stdout is not None
        lines = _read_until(process.stdout, "Press Ctrl-C")
        base_url, ca_bundle = _value(lines, "API base URL"), _value(lines, "CA bundle")
        with requests.Session() as http:
            http.trust_env = False
            answer = http.get(f"{base_url}/debtors", verify=ca_bundle, timeout=10)
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "client secret" in "".join(lines)
    assert _value(lines, "text filters") == "exact-cs"
    assert answer.status_code == 401  # served, and it wants a token
    assert "Stopping." in rest


def test_sandbox_rejects_bad_records(invoke: Invoke) -> None:
    result = invoke("sandbox", "--records", "debtors")
    assert result.exit_code == 2
    assert result.stderr == "Error: --records: expected RESOURCE=COUNT, got 'debtors'\n"


def test_sandbox_rejects_an_unknown_text_match(invoke: Invoke) -> None:
    result = invoke("sandbox", "--text-match", "fuzzy")
    assert result.exit_code == 2
    assert "--text-match" in result.stderr
    assert "'contains-ci'" in result.stderr and "'exact-cs'" in result.stderr


def test_inspectapi_prints_models(invoke: Invoke) -> None:
    spec = Path(asperion_orm.testing.emulator.__file__).with_name("openapi.json")
    result = invoke("inspectapi", str(spec))
    assert result.exit_code == 0, result.output
    assert "class Debtor(Model):" in result.stdout


def test_inspectapi_with_a_missing_file(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("inspectapi", str(tmp_path / "missing.json"))
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_demo_runs_the_quickstart(invoke: Invoke) -> None:
    result = invoke("demo")
    assert result.exit_code == 0, result.output
    # The tour of examples/quickstart.py, from the package (a plain install has no examples/).
    assert result.stdout.startswith("Logged in. This user can reach 3 administrations:")
    assert "Created <Debtor" in result.stdout and "Deleted it again." in result.stdout
    assert "The sandbox answered" in result.stdout


def test_sandbox_prints_a_login_line_that_works(invoke: Invoke) -> None:
    command = [sys.executable, "-m", "asperion_orm.cli", "sandbox", "--records", "debtors=3"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as process:
        assert process.stdout is not None
        lines = _read_until(process.stdout, "Press Ctrl-C")
        line = lines[next(i for i, text in enumerate(lines) if "Log in to it" in text) + 1]
        args = shlex.split(line)
        ca_bundle = args[args.index("--ca-bundle") + 1]
        browsers: list[threading.Thread] = []

        def open_url(url: str) -> bool:  # an auto-approving sandbox: the redirect is the login
            def follow() -> None:
                with requests.Session() as http:
                    http.trust_env = False
                    http.get(url, verify=ca_bundle, timeout=10)

            browsers.append(threading.Thread(target=follow, daemon=True))
            browsers[-1].start()
            return True

        assert args[:2] == ["asperion", "login"]
        result = invoke(*args[1:], env=Environment(open_url=open_url))
        tenants = invoke("tenants", "--format", "jsonl")
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert result.exit_code == 0, result.output
    assert "3 administration(s) reachable" in result.stdout
    assert len(tenants.stdout.splitlines()) == 3
