"""Random call chains give the same answers on the library and on Django over SQLite.

Hypothesis draws chains from ``strategies`` (derandomized, so every run draws the same ones)
for each model, in both of the emulator's text-match modes, with the default capabilities.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, note, settings

from asperion_orm.session import Session
from differential.harness import both
from differential.strategies import Chain, chains

EXAMPLES = {"Debtor": 250, "Invoice": 150, "Article": 100}
"""Examples per model and text-match mode: 1,000 in all."""


@pytest.mark.parametrize("model", list(EXAMPLES))
def test_random_chains_answer_as_django_does(library_session: Session, model: str) -> None:
    runs = [0]

    @settings(
        max_examples=EXAMPLES[model],
        derandomize=True,
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
