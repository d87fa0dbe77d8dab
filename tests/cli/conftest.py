"""Fixtures for the command-line tests: an interactive sandbox and a browser that uses its form."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from click.testing import CliRunner, Result

from asperion_orm.cli import Environment, cli
from asperion_orm.testing import Sandbox

RECORDS = {"debtors": 130, "countries": 12}


@pytest.fixture(scope="package")
def interactive_sandbox() -> Iterator[Sandbox]:
    """Serve these tests' own interactive sandbox (login form at /connect/authorize)."""
    with Sandbox(records=RECORDS, interactive=True) as served:
        yield served


class FormParser(HTMLParser):
    """Collect the first form's action and its input names/values."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.inputs: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "form" and not self.action:
            self.action = values.get("action", "")
        elif tag == "input" and values.get("name"):
            self.inputs[values["name"]] = values.get("value", "")


class Browser:
    """A person at a browser: opens the URL, fills in the login form, follows the redirect."""

    def __init__(self, sandbox: Sandbox, password: str | None = None) -> None:
        self.sandbox = sandbox
        self.password = password or sandbox.password
        self.landed: requests.Response | None = None
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None

    def open(self, url: str) -> bool:
        """Start logging in on another thread (a browser is another process)."""
        self.thread = threading.Thread(target=self._run, args=(url,), daemon=True)
        self.thread.start()
        return True

    def _run(self, url: str) -> None:
        try:
            self.landed = self.log_in(url)
        except BaseException as exc:  # reported by the test
            self.error = exc

    def log_in(self, url: str) -> requests.Response:
        """GET the authorize URL, POST the form with the credentials, follow the redirect."""
        with requests.Session() as http:
            http.trust_env = False
            page = http.get(url, verify=self.sandbox.ca_bundle, timeout=10)
            form = FormParser()
            form.feed(page.text)
            data = {**form.inputs, "username": self.sandbox.username, "password": self.password}
            action = urljoin(page.url, form.action)
            return http.post(action, data=data, verify=self.sandbox.ca_bundle, timeout=10)

    def join(self) -> None:
        """Wait for the browser thread."""
        if self.thread is not None:
            self.thread.join(10)


def connection_args(sandbox: Sandbox) -> list[str]:
    """Return the options pointing a command at the sandbox."""
    return [
        "--client-id", sandbox.client_id,
        "--client-secret", sandbox.client_secret,
        "--base-url", sandbox.base_url,
        "--identity-url", sandbox.identity_url,
        "--ca-bundle", sandbox.ca_bundle,
    ]  # fmt: skip


Invoke = Callable[..., Result]


@pytest.fixture
def config_home(tmp_path: Path) -> Path:
    """Return an empty XDG config home."""
    return tmp_path / "config"


@pytest.fixture
def invoke(config_home: Path) -> Invoke:
    """Run ``asperion ARGS`` in-process with XDG_CONFIG_HOME in a temporary directory."""

    def run(*args: str, env: Environment | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(
            cli,
            list(args),
            obj=env or Environment(),
            env={"XDG_CONFIG_HOME": str(config_home), "ASPERION_CLIENT_SECRET": None},
            catch_exceptions=False,
        )

    return run


@pytest.fixture
def logged_in(interactive_sandbox: Sandbox, invoke: Invoke) -> Invoke:
    """Log in through the form first, then hand out ``invoke``."""
    browser = Browser(interactive_sandbox)
    result = invoke(
        "login", *connection_args(interactive_sandbox), env=Environment(open_url=browser.open)
    )
    browser.join()
    assert result.exit_code == 0, result.output
    return invoke
