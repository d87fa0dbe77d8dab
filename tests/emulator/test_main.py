"""``python -m asperion_orm.testing`` and the demo."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import threading
import time

import pytest

from asperion_orm.testing import __main__ as cli
from asperion_orm.testing import demo, serve


def test_parse_records() -> None:
    assert serve.parse_records(["debtors=20000", " articles = 5"]) == {
        "debtors": 20000,
        "articles": 5,
    }
    with pytest.raises(ValueError):
        serve.parse_records(["debtors"])
    with pytest.raises(ValueError):
        serve.parse_records(["debtors=-1"])


def options_from(argv: list[str]) -> dict[str, object]:
    args = cli.build_parser().parse_args(argv)
    return serve.sandbox_options(
        port=args.port,
        records=args.records,
        latency_ms=args.latency_ms,
        rate_limit=args.rate_limit,
        seed=args.seed,
        interactive=args.interactive,
        text_match=args.text_match,
    )


def test_options_from_arguments() -> None:
    options = options_from(
        ["--port", "0", "--records", "debtors=50", "--latency-ms", "20", "--interactive"]
    )
    assert options == {
        "port": 0,
        "records": {"debtors": 50},
        "latency": 0.02,
        "rate_limit": None,
        "seed": 0,
        "interactive": True,
        "text_match": "contains-ci",
    }


def test_text_match_option() -> None:
    assert options_from(["--text-match", "exact-cs"])["text_match"] == "exact-cs"
    assert options_from(["--text-match", "contains-ci"])["text_match"] == "contains-ci"
    with pytest.raises(ValueError, match="contains-ci, exact-cs"):
        serve.sandbox_options(text_match="exact")


def test_unknown_text_match_exits_with_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        cli.main(["--text-match", "fuzzy"])
    assert raised.value.code == 2
    error = capsys.readouterr().err
    assert "--text-match" in error and "contains-ci" in error and "exact-cs" in error


def test_bad_records_argument_exits_with_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        cli.main(["--records", "debtors"])
    assert raised.value.code == 2
    assert "RESOURCE=COUNT" in capsys.readouterr().err


def test_serve_prints_what_a_user_needs() -> None:
    out, stop = io.StringIO(), threading.Event()
    thread = threading.Thread(target=serve.serve, args=(serve.sandbox_options(), out, stop))
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while "Ctrl-C" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(timeout=30)
    text = out.getvalue()
    assert not thread.is_alive()
    for label in ("API base URL", "identity URL", "CA bundle", "client secret", "sandbox password"):
        assert label in text
    assert "https://127.0.0.1:" in text and "/v1" in text
    assert "text filters      contains-ci" in text


def test_demo_runs_to_the_end() -> None:
    out = io.StringIO()
    demo.run(out=out, records={"debtors": 30})
    text = out.getvalue()
    assert "HTTP 400" in text and "Done." in text
    assert "access_token" not in text


def test_command_line_serves_until_ctrl_c() -> None:
    command = [sys.executable, "-m", "asperion_orm.testing", "--records", "debtors=10"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline() for _ in range(14)]
            assert lines[0].startswith("Asperion sandbox")
            assert lines[-2].startswith("  asperion login --client-id sandbox-app ")
            assert lines[-1].startswith("Press Ctrl-C")
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=30) == 0
            assert "Stopping." in process.stdout.read()
        finally:
            process.kill()
