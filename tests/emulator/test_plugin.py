"""The pytest plugin: lazy, session-scoped sandbox, fresh tenants, knobs restored per test."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from asperion_orm.exceptions import PermissionDenied

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
def asperion_tenant(asperion_sandbox):
    return asperion_sandbox.add_administration(records={"debtors": 3})


def test_the_session_follows_an_overridden_tenant(asperion_session, asperion_tenant):
    assert asperion_session.tenant == asperion_tenant
    assert asperion_session.get("debtors", [("MetaOnly", "true")])["_meta"]["totalCount"] == 3
"""


def test_plugin_fixtures_in_a_separate_run(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER_TESTS))
    (tmp_path / "test_override.py").write_text(textwrap.dedent(OVERRIDE_TESTS))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "-W",
            "error",
            str(tmp_path / "test_inner.py"),
            str(tmp_path / "test_override.py"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout


def test_each_tests_user_sees_only_its_administration(
    asperion_sandbox, asperion_user_client, asperion_tenant
):
    assert [admin.id for admin in asperion_user_client.administrations()] == [asperion_tenant]
    other = asperion_sandbox.add_administration(users=[asperion_sandbox.username])
    assert [admin.id for admin in asperion_user_client.administrations()] == [asperion_tenant]
    with pytest.raises(PermissionDenied):
        asperion_user_client.tenant(other).get("debtors")


def test_another_tests_user_sees_another_administration(
    asperion_user_client, asperion_tenant, asperion_client
):
    mine = [admin.id for admin in asperion_user_client.administrations()]
    assert mine == [asperion_tenant]
    assert asperion_tenant in [admin.id for admin in asperion_client.administrations()]
