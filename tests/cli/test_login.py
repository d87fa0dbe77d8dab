"""``asperion login``: the authorization-code flow through the sandbox's HTML login form."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from click.testing import Result

from asperion_orm.cli import Environment
from asperion_orm.http.tokens import FileTokenStore
from asperion_orm.testing import Sandbox

from .conftest import Browser, Invoke, connection_args


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_login_through_the_form_stores_tokens(
    interactive_sandbox: Sandbox, invoke: Invoke, config_home: Path
) -> None:
    browser = Browser(interactive_sandbox)
    result = invoke(
        "login", *connection_args(interactive_sandbox), env=Environment(open_url=browser.open)
    )
    browser.join()

    assert result.exit_code == 0, result.output
    assert browser.landed is not None and "Logged in" in browser.landed.text
    token_file = config_home / "asperion" / "tokens.json"
    token = FileTokenStore(token_file).load()
    assert token is not None
    assert _mode(token_file) == 0o600
    assert _mode(config_home / "asperion" / "profile.json") == 0o600
    assert f"{len(interactive_sandbox.tenants)} administration(s)" in result.stdout
    assert token.access_token not in result.output
    assert str(token.refresh_token) not in result.output
    assert interactive_sandbox.client_secret not in result.output


def test_login_prints_the_url_and_uses_a_loopback_redirect(
    interactive_sandbox: Sandbox, invoke: Invoke
) -> None:
    browser = Browser(interactive_sandbox)
    result = invoke(
        "login", *connection_args(interactive_sandbox), "--port", "0",
        env=Environment(open_url=browser.open),
    )  # fmt: skip
    browser.join()
    assert result.exit_code == 0, result.output
    url = next(line.strip() for line in result.stderr.splitlines() if "/connect/authorize" in line)
    query = parse_qs(urlsplit(url).query)
    assert query["redirect_uri"][0].startswith("http://127.0.0.1:")
    assert query["code_challenge_method"] == ["S256"]


def _get(url: str) -> requests.Response:
    """GET a loopback URL directly (no proxies from the environment)."""
    with requests.Session() as http:
        http.trust_env = False
        return http.get(url, timeout=10)


class Forger(Browser):
    """Skip the login and send the listener a redirect with another state."""

    def log_in(self, url: str) -> requests.Response:
        redirect = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        query = urlencode({"code": "forged", "state": "not-the-one-issued"})
        return _get(f"{redirect}?{query}")


class Refuser(Browser):
    """Send the listener the identity server's refusal (the user pressed "deny")."""

    def log_in(self, url: str) -> requests.Response:
        query = parse_qs(urlsplit(url).query)
        back = urlencode({"error": "access_denied", "state": query["state"][0]})
        return _get(f"{query['redirect_uri'][0]}?{back}")


class ForgerThenUser(Browser):
    """A forged redirect with another state reaches the listener first; then the user logs in."""

    forged: requests.Response | None = None

    def log_in(self, url: str) -> requests.Response:
        self.forged = Forger(self.sandbox).log_in(url)
        return super().log_in(url)


def test_login_ignores_a_redirect_with_the_wrong_state(
    interactive_sandbox: Sandbox, invoke: Invoke
) -> None:
    browser = ForgerThenUser(interactive_sandbox)
    result = invoke(
        "login", *connection_args(interactive_sandbox), "--timeout", "20",
        env=Environment(open_url=browser.open),
    )  # fmt: skip
    browser.join()
    assert result.exit_code == 0, result.output
    assert browser.forged is not None and browser.forged.status_code == 400
    assert "not the login" in browser.forged.text
    assert browser.landed is not None and "Logged in" in browser.landed.text


def test_login_with_only_a_forged_redirect_times_out(
    interactive_sandbox: Sandbox, invoke: Invoke
) -> None:
    browser = Forger(interactive_sandbox)
    result = invoke(
        "login", *connection_args(interactive_sandbox), "--timeout", "1",
        env=Environment(open_url=browser.open),
    )  # fmt: skip
    browser.join()
    assert result.exit_code == 1
    assert "No login arrived" in result.stderr


class Silent(Browser):
    """A local program connects to the listener and sends nothing."""

    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__(sandbox)
        self.sockets: list[socket.socket] = []

    def open(self, url: str) -> bool:
        redirect = urlsplit(parse_qs(urlsplit(url).query)["redirect_uri"][0])
        for _ in range(3):
            self.sockets.append(socket.create_connection((redirect.hostname, redirect.port), 5))
        return True

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


def test_a_silent_local_connection_does_not_outlast_the_timeout(
    interactive_sandbox: Sandbox, invoke: Invoke
) -> None:
    silent = Silent(interactive_sandbox)
    outcome: list[Result] = []
    runner = threading.Thread(
        target=lambda: outcome.append(
            invoke("login", *connection_args(interactive_sandbox), "--timeout", "1",
                   env=Environment(open_url=silent.open))
        ),
        daemon=True,
    )  # fmt: skip
    started = time.monotonic()
    runner.start()
    runner.join(15)
    elapsed = time.monotonic() - started
    silent.close()  # lets a stuck command go before the test ends
    runner.join(15)
    assert elapsed < 10, f"login waited {elapsed:.1f}s with --timeout 1"
    assert outcome and outcome[0].exit_code == 1
    assert "No login arrived" in outcome[0].stderr


def test_login_keeps_the_config_directory_private(
    interactive_sandbox: Sandbox, invoke: Invoke, config_home: Path
) -> None:
    directory = config_home / "asperion"
    browser = Browser(interactive_sandbox)
    result = invoke(
        "login", *connection_args(interactive_sandbox), env=Environment(open_url=browser.open)
    )
    browser.join()
    assert result.exit_code == 0, result.output
    assert _mode(directory) == 0o700
    os.chmod(directory, 0o755)  # made by an older version, or by hand
    browser = Browser(interactive_sandbox)
    result = invoke(
        "login", *connection_args(interactive_sandbox), env=Environment(open_url=browser.open)
    )
    browser.join()
    assert result.exit_code == 0, result.output
    assert _mode(directory) == 0o700


def test_login_reports_a_refusal(interactive_sandbox: Sandbox, invoke: Invoke) -> None:
    browser = Refuser(interactive_sandbox)
    result = invoke(
        "login", *connection_args(interactive_sandbox), env=Environment(open_url=browser.open)
    )
    browser.join()
    assert result.exit_code == 1
    assert "The login was refused: access_denied" in result.stderr


def test_login_gives_up_after_the_timeout(interactive_sandbox: Sandbox, invoke: Invoke) -> None:
    result = invoke(
        "login", *connection_args(interactive_sandbox), "--no-browser", "--timeout", "0.3",
        env=Environment(open_url=lambda url: False),
    )  # fmt: skip
    assert result.exit_code == 1
    assert "No login arrived" in result.stderr
    assert "Traceback" not in result.output


def test_login_without_client_credentials(invoke: Invoke) -> None:
    result = invoke("login", "--no-browser", "--timeout", "0.1")
    assert result.exit_code == 2  # a missing option: bad input
    assert "ASPERION_CLIENT_ID" in result.stderr


def test_login_as_a_separate_process(interactive_sandbox: Sandbox, tmp_path: Path) -> None:
    """Run the real entry point; read the URL it prints; log in with the form."""
    env = {
        "XDG_CONFIG_HOME": str(tmp_path),
        "ASPERION_CLIENT_ID": interactive_sandbox.client_id,
        "ASPERION_CLIENT_SECRET": interactive_sandbox.client_secret,
        "ASPERION_BASE_URL": interactive_sandbox.base_url,
        "ASPERION_IDENTITY_URL": interactive_sandbox.identity_url,
        "ASPERION_CA_BUNDLE": interactive_sandbox.ca_bundle,
        "PATH": "/usr/bin:/bin",
    }
    command = [sys.executable, "-m", "asperion_orm.cli", "login", "--no-browser", "--timeout", "20"]
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stderr is not None
        url = ""
        for _ in range(10):
            line = process.stderr.readline()
            if "/connect/authorize" in line:
                url = line.strip()
                break
        landed = Browser(interactive_sandbox).log_in(url)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Logged in" in landed.text
    assert "tokens stored in" in out
    assert (tmp_path / "asperion" / "tokens.json").exists()
