"""The system check: a missing or unusable ASPERION setting, reported with what to do."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from django.core import checks
from django.test import override_settings

from asperion_orm import ConfigurationError
from asperion_orm.contrib.django.conf import get_client

GOOD = {"CLIENT_ID": "app", "CLIENT_SECRET": "secret", "REDIRECT_URI": "https://x.test/cb/"}


def _ids(setting: Any) -> list[str]:
    with override_settings(ASPERION=setting):
        return [message.id for message in checks.run_checks(tags=["asperion"])]


def test_a_complete_setting_passes() -> None:
    assert _ids({**GOOD, "ENVIRONMENT": "sandbox"}) == []


def test_a_missing_setting_is_an_error_with_an_example() -> None:
    with override_settings():
        from django.conf import settings

        del settings.ASPERION
        [message] = checks.run_checks(tags=["asperion"])
    assert message.id == "asperion.E001" and message.level == checks.ERROR
    assert "CLIENT_ID" in message.hint and "REDIRECT_URI" in message.hint


def test_each_missing_key_is_named() -> None:
    with override_settings(ASPERION={"CLIENT_ID": "app"}):
        messages = checks.run_checks(tags=["asperion"])
    assert [m.msg for m in messages] == [
        "ASPERION has no CLIENT_SECRET.",
        "ASPERION has no REDIRECT_URI.",
    ]


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("app", ["asperion.E002"]),
        ({**GOOD, "ENVIRONMENT": "prod"}, ["asperion.E004"]),
        ({**GOOD, "TENANT_RESOLVER": "no.such.function"}, ["asperion.E005"]),
        ({**GOOD, "CLIENT_SECRETS": "typo"}, ["asperion.W001"]),
    ],
)
def test_unusable_values_are_reported(setting: Any, expected: list[str]) -> None:
    assert _ids(setting) == expected


def test_building_a_client_without_the_setting_says_what_is_missing() -> None:
    with (
        override_settings(ASPERION={"CLIENT_ID": "app"}),
        pytest.raises(ConfigurationError, match="no CLIENT_SECRET, REDIRECT_URI"),
    ):
        get_client()


def test_the_library_never_imports_django_unless_the_app_is_used() -> None:
    code = "import asperion_orm, asperion_orm.contrib.django, sys; print('django' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"
