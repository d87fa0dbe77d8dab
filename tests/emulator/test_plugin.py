"""The pytest plugin: lazy, session-scoped sandbox, fresh tenants, knobs restored per test."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from asperion_orm.client import Client
from asperion_orm.exceptions import PermissionDenied
from asperion_orm.testing.sandbox import Sandbox

INNER_TESTS = """
import sys


def test_plain_tests_start_nothing():
    assert "cheroot" not in sys.modules
    assert "asperion_orm.testing.emulator.app" not in sys.modules


def test_first_changes_knobs(asperion_sandbox, asperion_tenant):
    assert asperion_tenant not in asperion_sandbox.tenants[:3]
    asperion_sandbox.set_latency(0.01)
    asperion_sandbox.set_rate_limit(5)
    asperion_sandbox.set_token_lifetime(60)
    asperion_sandbox.inject("GET", "/v1/debtors", 500)
    pytest_state["port"] = asperion_sandbox.port
    pytest_state["tenant"] = asperion_tenant


def test_second_sees_defaults(asperion_sandbox, asperion_tenant):
    assert asperion_sandbox.port == pytest_state["port"]  # one sandbox per session
    assert asperion_tenant != pytest_state["tenant"]
    assert asperion_sandbox.middleware.latency == 0
    assert asperion_sandbox.middleware.rate_limit is None
    assert asperion_sandbox.middleware.faults == []
    assert asperion_sandbox.state.token_lifetime == 3600
    assert asperion_sandbox.request_log == []


def test_session_is_active_for_the_test(
    asperion_sandbox, asperion_client, asperion_tenant, asperion_session
):
    from asperion_orm import Session

    assert Session.current() is asperion_session
    assert asperion_session.client is asperion_client
    assert asperion_session.tenant == asperion_tenant
    meta = asperion_session.get("debtors", [("MetaOnly", "true")])["_meta"]
    assert meta["administrationId"] == asperion_tenant
    assert meta["totalCount"] == asperion_sandbox.state.count(asperion_tenant, "debtors") == 20


def test_no_session_outlives_its_test():
    import pytest

    from asperion_orm import NoSessionError, Session

    with pytest.raises(NoSessionError):
        Session.current()


pytest_state = {}
"""

OVERRIDE_TESTS = """
import pytest


@pytest.fixture
def asperion_tenant(asperion_sandbox, asperion_user):
    return asperion_sandbox.add_administration(records={"debtors": 3}, users=[asperion_user])


def test_the_session_follows_an_overridden_tenant(asperion_session, asperion_tenant):
    assert asperion_session.tenant == asperion_tenant
    assert asperion_session.get("debtors", [("MetaOnly", "true")])["_meta"]["totalCount"] == 3
"""

UNREACHABLE_OVERRIDE_TESTS = """
import pytest


@pytest.fixture
def asperion_tenant(asperion_sandbox):
    return asperion_sandbox.add_administration(records={"debtors": 3})  # the sandbox user's


def test_an_override_the_tests_user_cannot_reach(asperion_session):
    pass
"""

ISOLATION_TESTS = """
from asperion_orm.exceptions import PermissionDenied
from asperion_orm.resources import Debtor

seen = {}


def test_first_writes_in_its_administration(asperion_sandbox, asperion_client, asperion_session):
    assert [(e.method, e.path) for e in asperion_sandbox.request_log] == [
        ("POST", "/connect/authorize"),  # this test's user signs in through the login form
        ("POST", "/connect/token"),
    ]
    assert [admin.id for admin in asperion_client.administrations()] == [asperion_session.tenant]
    seen["tenant"] = asperion_session.tenant
    Debtor.objects.create(name="Alleen van de eerste test")


def test_second_sees_only_its_own(asperion_sandbox, asperion_client, asperion_tenant):
    assert [admin.id for admin in asperion_client.administrations()] == [asperion_tenant]
    assert asperion_tenant != seen["tenant"]
    with asperion_client.tenant(asperion_tenant):
        assert not Debtor.objects.filter(name="Alleen van de eerste test").exists()
    try:
        asperion_client.tenant(seen["tenant"]).get("debtors")
    except PermissionDenied:
        pass
    else:
        raise AssertionError("the second test's user reached the first test's administration")
    assert asperion_sandbox.users_of(seen["tenant"]) != asperion_sandbox.users_of(asperion_tenant)
    assert asperion_sandbox.username not in asperion_sandbox.users_of(asperion_tenant)
"""


def run_inner(tmp_path: Path, *modules: str) -> subprocess.CompletedProcess[str]:
    """Run test modules (file name: source) in a separate pytest with the plugin."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         "-W", "error", *modules],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_plugin_fixtures_in_a_separate_run(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER_TESTS))
    (tmp_path / "test_override.py").write_text(textwrap.dedent(OVERRIDE_TESTS))
    result = run_inner(tmp_path, "test_inner.py", "test_override.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout


def test_each_test_sees_only_its_own_administration(tmp_path: Path) -> None:
    (tmp_path / "test_isolation.py").write_text(textwrap.dedent(ISOLATION_TESTS))
    result = run_inner(tmp_path, "test_isolation.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_an_override_the_tests_user_cannot_reach_says_how_to_make_it(tmp_path: Path) -> None:
    (tmp_path / "test_unreachable.py").write_text(textwrap.dedent(UNREACHABLE_OVERRIDE_TESTS))
    result = run_inner(tmp_path, "test_unreachable.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "add_administration(..., users=[asperion_user])" in result.stdout
    assert "1 error" in result.stdout


def test_the_client_is_this_tests_user(
    asperion_sandbox: Sandbox, asperion_client: Client, asperion_user: str, asperion_tenant: int
) -> None:
    assert [admin.id for admin in asperion_client.administrations()] == [asperion_tenant]
    assert asperion_sandbox.users_of(asperion_tenant) == {asperion_user}
    with pytest.raises(PermissionDenied):
        asperion_client.tenant(asperion_sandbox.tenants[0]).get("debtors")
