"""The retry policy: the pure decision, the waits, and the one loop that sleeps."""

from __future__ import annotations

import email.utils

import pytest
import requests

from asperion_orm.http.retry import Attempt, RetryPolicy, Verdict, decide, parse_retry_after

from .conftest import FakeClock, refused, reset


def _response(status: int) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    return response


ERRORS = {
    "refused": refused,
    "connect_timeout": lambda: requests.ConnectTimeout("connect timed out"),
    "read_timeout": lambda: requests.ReadTimeout("read timed out"),
    "reset": reset,
    "tls": lambda: requests.exceptions.SSLError("CERTIFICATE_VERIFY_FAILED"),
}


@pytest.mark.parametrize(
    ("method", "error", "verdict"),
    [
        ("GET", "refused", Verdict.RETRY),
        ("GET", "read_timeout", Verdict.RETRY),
        ("GET", "reset", Verdict.RETRY),
        ("PUT", "reset", Verdict.RETRY),
        ("DELETE", "read_timeout", Verdict.RETRY),
        ("POST", "refused", Verdict.RETRY),
        ("POST", "connect_timeout", Verdict.RETRY),
        ("PATCH", "refused", Verdict.RETRY),
        ("POST", "read_timeout", Verdict.AMBIGUOUS),
        ("POST", "reset", Verdict.AMBIGUOUS),
        ("PATCH", "reset", Verdict.AMBIGUOUS),
        ("GET", "tls", Verdict.FAIL),
        ("POST", "tls", Verdict.FAIL),
    ],
)
def test_transport_errors_are_judged_by_method(method: str, error: str, verdict: Verdict) -> None:
    assert decide(method, None, ERRORS[error]()) is verdict


@pytest.mark.parametrize(
    ("method", "status", "verdict"),
    [
        ("GET", 200, Verdict.DONE),
        ("POST", 201, Verdict.DONE),
        ("DELETE", 204, Verdict.DONE),
        ("GET", 400, Verdict.FAIL),
        ("GET", 404, Verdict.FAIL),
        ("GET", 409, Verdict.FAIL),
        ("GET", 429, Verdict.RETRY),
        ("GET", 500, Verdict.FAIL),
        ("GET", 502, Verdict.RETRY),
        ("PUT", 503, Verdict.RETRY),
        ("DELETE", 504, Verdict.RETRY),
        ("POST", 429, Verdict.RETRY),
        ("PATCH", 429, Verdict.RETRY),
        ("POST", 500, Verdict.AMBIGUOUS),
        ("POST", 502, Verdict.AMBIGUOUS),
        ("PATCH", 504, Verdict.AMBIGUOUS),
        ("POST", 503, Verdict.FAIL),
        ("POST", 400, Verdict.FAIL),
    ],
)
def test_statuses_are_judged_by_method(method: str, status: int, verdict: Verdict) -> None:
    assert decide(method, _response(status), None) is verdict


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("3", 3.0), ("0", 0.0), ("1.5", 1.5), ("abc", None), ("-4", None), ("", None),
     (None, None), ("nan", None), ("inf", None), ("99999", 99999.0)],
)  # fmt: skip
def test_retry_after_parses_seconds_and_refuses_garbage(
    header: str | None, seconds: float | None
) -> None:
    assert parse_retry_after(header) == seconds


def test_retry_after_accepts_an_http_date() -> None:
    date = email.utils.formatdate(1_000_007, usegmt=True)
    assert parse_retry_after(date, now=1_000_000) == pytest.approx(7)
    assert parse_retry_after("Mon, 99 Foo 2026 99:99:99 GMT", now=0) is None


def test_backoff_is_exponential_jittered_and_capped() -> None:
    low = RetryPolicy(backoff=0.5, backoff_max=10, random=lambda: 0.0)
    high = RetryPolicy(backoff=0.5, backoff_max=10, random=lambda: 0.999999)
    assert [low.backoff_delay(n) for n in (1, 2, 3)] == [0.25, 0.5, 1.0]
    assert high.backoff_delay(3) == pytest.approx(2.0)
    assert high.backoff_delay(20) == pytest.approx(10.0)


@pytest.mark.parametrize("retry_after", [99999.0, -1.0, None, float("inf")])
def test_a_huge_or_missing_retry_after_falls_back_to_capped_backoff(
    retry_after: float | None,
) -> None:
    policy = RetryPolicy(retry_after_cap=60, backoff_max=10, random=lambda: 0.5)
    assert policy.delay(1, retry_after) == pytest.approx(0.375)
    assert policy.delay(1, 7.0) == 7.0


def _script(verdicts: list[Verdict], retry_after: float | None = None) -> list[Attempt]:
    return [Attempt(v, retry_after=retry_after) for v in verdicts]


def test_the_loop_sleeps_between_attempts_and_stops_at_the_limit(clock: FakeClock) -> None:
    policy = RetryPolicy(attempts=3, sleep=clock.sleep, clock=clock, random=lambda: 0.5)
    calls: list[tuple[int, float]] = []
    script = _script([Verdict.RETRY] * 5)

    def send(number: int, left: float) -> Attempt:
        calls.append((number, left))
        return script.pop(0)

    final = policy.run(send)
    assert final.verdict is Verdict.RETRY
    assert [n for n, _ in calls] == [1, 2, 3]
    assert clock.sleeps == [0.375, 0.75]


def test_the_loop_returns_the_first_non_retry_verdict(clock: FakeClock) -> None:
    policy = RetryPolicy(attempts=5, sleep=clock.sleep, clock=clock)
    script = _script([Verdict.RETRY, Verdict.AMBIGUOUS, Verdict.DONE])
    final = policy.run(lambda n, left: script.pop(0))
    assert final.verdict is Verdict.AMBIGUOUS
    assert len(clock.sleeps) == 1


def test_the_loop_never_sleeps_past_the_deadline(clock: FakeClock) -> None:
    policy = RetryPolicy(attempts=10, deadline=20, sleep=clock.sleep, clock=clock)
    final = policy.run(lambda n, left: Attempt(Verdict.RETRY, retry_after=15))
    assert final.verdict is Verdict.RETRY
    assert clock.sleeps == [15]  # a second 15 s wait would end at 30 s > 20 s
    assert clock.now <= 20


def test_the_loop_passes_the_time_left_to_each_attempt(clock: FakeClock) -> None:
    policy = RetryPolicy(attempts=3, deadline=30, sleep=clock.sleep, clock=clock)
    lefts: list[float] = []

    def send(number: int, left: float) -> Attempt:
        lefts.append(left)
        return Attempt(Verdict.RETRY, retry_after=5)

    policy.run(send)
    assert lefts == [30, 25, 20]


def test_exceptions_from_an_attempt_propagate_without_retry(clock: FakeClock) -> None:
    policy = RetryPolicy(sleep=clock.sleep, clock=clock)

    def send(number: int, left: float) -> Attempt:
        raise KeyError("boom")

    with pytest.raises(KeyError):
        policy.run(send)
    assert clock.sleeps == []
