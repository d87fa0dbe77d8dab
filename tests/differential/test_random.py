"""Random call chains give the same answers on the library and on Django over SQLite.

Hypothesis draws chains from ``strategies`` for each model, against each server of
``conftest.SERVERS`` (both of the emulator's text-match modes, with 15-row pages and with the
API's 100-row pages). The draws are seeded with the test's id: every run draws the same chains,
and each server other ones.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, note, seed, settings

from asperion_orm.session import Session
from differential.harness import both
from differential.strategies import Chain, chains

EXAMPLES = {"Debtor": 160, "Invoice": 100, "Article": 60}
"""Examples per model and server (``conftest.SERVERS``, four of them): 1,280 in all."""


@pytest.mark.parametrize("model", list(EXAMPLES))
def test_random_chains_answer_as_django_does(
    request: pytest.FixtureRequest, library_session: Session, model: str
) -> None:
    runs = [0]

    @seed(request.node.callspec.id)  # other chains for each server, the same on every run
    @settings(
        max_examples=EXAMPLES[model],
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(chain=chains(model))
    def check(chain: Chain) -> None:
        runs[0] += 1
        note(repr(chain))
        expected, found = both(chain, library_session)
        assert found == expected, (
            f"library: {found.value!r} {found.message}\n"
            f" django: {expected.value!r} {expected.message}"
        )

    check()
    assert runs[0] >= EXAMPLES[model]
