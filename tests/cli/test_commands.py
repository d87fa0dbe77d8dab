"""``asperion tenants`` and ``asperion get`` against the sandbox, and their one-line errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import socket
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import trustme

from asperion_orm.http.tokens import FileTokenStore, Token
from asperion_orm.testing import Sandbox

from .conftest import Invoke


def test_tenants_before_login(invoke: Invoke) -> None:
    result = invoke("tenants")
    assert result.exit_code == 1
    assert result.stderr == "Error: No token is stored yet; run `asperion login` first.\n"


def test_tenants_lists_the_administrations(interactive_sandbox: Sandbox, logged_in: Invoke) -> None:
    result = logged_in("tenants", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    ids = [json.loads(line)["id"] for line in result.stdout.splitlines()]
    assert ids == interactive_sandbox.tenants


def test_tenants_table(interactive_sandbox: Sandbox, logged_in: Invoke) -> None:
    lines = logged_in("tenants").stdout.splitlines()
    assert lines[0].split() == ["id", "name"]
    assert lines[1].split()[0] == str(interactive_sandbox.tenants[0])


def test_a_refused_refresh_says_to_log_in(logged_in: Invoke, config_home: Path) -> None:
    store = FileTokenStore(config_home / "asperion" / "tokens.json")
    stale = Token(access_token="stale", refresh_token="spent", expires_at=0.0, lifetime=3600)
    store.save(stale)
    result = logged_in("tenants")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: The stored login was refused or has expired; run `asperion login` again.\n"
    )


def test_a_tls_failure_is_one_line(logged_in: Invoke, tmp_path: Path) -> None:
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    result = logged_in("tenants", "--ca-bundle", str(other_ca))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Network or TLS failure: ")
    assert len(result.stderr.splitlines()) == 1


def test_get_json(interactive_sandbox: Sandbox, logged_in: Invoke) -> None:
    debtors = interactive_sandbox.state.rows(interactive_sandbox.tenants[0], "debtors")
    ids = sorted(row["id"] for row in debtors)[:3]
    result = logged_in(
        "get", "debtors", "-f", f"id__in={','.join(map(str, ids))}", "--order", "-id",
        "--fields", "id,name", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == ids[::-1]
    assert set(rows[0]) == {"id", "name"}


def test_get_pages_through_everything(interactive_sandbox: Sandbox, logged_in: Invoke) -> None:
    interactive_sandbox.clear_log()
    result = logged_in("get", "debtors", "--format", "jsonl", "--fields", "id")
    assert result.exit_code == 0, result.output
    debtors = interactive_sandbox.state.count(interactive_sandbox.tenants[0], "debtors")
    assert len(result.stdout.splitlines()) == debtors
    assert len(interactive_sandbox.requests("GET", "/v1/debtors")) == 2  # 130 rows, 100 a page


def test_get_csv_to_a_file_with_a_tenant(
    interactive_sandbox: Sandbox, logged_in: Invoke, tmp_path: Path
) -> None:
    out = tmp_path / "invoices.csv"
    tenant = interactive_sandbox.tenants[1]
    result = logged_in(
        "get", "salesinvoices", "--tenant", str(tenant), "--limit", "5",
        "--fields", "id,amount_incl_vat", "--format", "csv", "-o", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 5
    expected = {str(row["id"]) for row in interactive_sandbox.state.rows(tenant, "salesinvoices")}
    assert {row["id"] for row in rows} <= expected
    assert all("." in row["amount_incl_vat"] for row in rows)


def test_get_table_with_a_local_filter(logged_in: Invoke) -> None:
    result = logged_in(
        "get", "debtors", "-f", "name__icontains=a", "-f", "blocked=false", "--limit", "3",
        "--fields", "id,name",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["id", "name"]
    assert 1 <= len(lines) - 1 <= 3
    assert all("a" in line.lower() for line in lines[1:])


def test_get_progress_bar_goes_to_stderr(logged_in: Invoke) -> None:
    result = logged_in("get", "debtors", "--progress", "--fields", "id", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert "row" in result.stderr
    assert "row" not in result.stdout.replace('"id"', "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["get", "nothing"],
            "Error: Unknown resource 'nothing'; known resources: administrations,",
        ),
        (["get", "debtors", "-f", "nmae=x"], "Cannot resolve keyword 'nmae' into field of Debtor"),
        (["get", "debtors", "-f", "name__like=x"], "unknown lookup 'like' in 'name__like'"),
        (["get", "debtors", "-f", "id=abc"], "'abc' is not a valid value for 'id'"),
        (["get", "debtors", "-f", "name"], "expected FIELD=VALUE or FIELD__LOOKUP=VALUE"),
        (["get", "debtors", "--fields", "id,nope"], "Cannot resolve keyword 'nope'"),
        (["get", "debtors", "--order", "-nope"], "Cannot resolve keyword 'nope'"),
        (["get", "debtors", "--limit", "-1"], "--limit must be 0 or more"),
        (["get", "debtors", "-f", "blocked__isnull=maybe"], "expected true or false"),
        (["get", "debtors", "-f", "date_added__gte=soon"], "is not a date or datetime"),
        (["get", "debtors", "--tenant", "0"], "administration id"),
        (["get", "debtors", "--order", "name__x"], "Cannot order by 'name' of Debtor"),
    ],
)
def test_bad_input_is_one_line(logged_in: Invoke, args: list[str], message: str) -> None:
    result = logged_in(*args)
    assert result.exit_code == 2  # every bad-input error, as click's own usage errors
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_get_before_login(invoke: Invoke) -> None:
    result = invoke("get", "debtors")
    assert result.exit_code == 1
    assert "run `asperion login`" in result.stderr


def test_a_network_failure_is_one_line(logged_in: Invoke) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = logged_in("tenants", "--base-url", f"https://127.0.0.1:{port}/v1")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Network or TLS failure: ")
    assert len(result.stderr.splitlines()) == 1


def test_get_takes_a_date_for_a_datetime_field(
    interactive_sandbox: Sandbox, logged_in: Invoke
) -> None:
    """A date given for a datetime field is the start of that day in the client's zone."""
    debtors = interactive_sandbox.state.rows(interactive_sandbox.tenants[0], "debtors")
    added = sorted(dt.datetime.fromisoformat(row["dateAdded"]) for row in debtors)
    day = added[len(added) // 2].date()
    start = dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo("Europe/Amsterdam"))
    expected = sorted(
        row["id"] for row in debtors if dt.datetime.fromisoformat(row["dateAdded"]) >= start
    )
    result = logged_in(
        "get", "debtors", "-f", f"date_added__gte={day.isoformat()}", "--fields", "id",
        "--format", "jsonl",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # no note about a naive datetime: the zone is the documented one
    assert sorted(json.loads(line)["id"] for line in result.stdout.splitlines()) == expected
    assert 0 < len(expected) < len(debtors)


def test_get_keys_nested_objects_by_attribute_name(
    interactive_sandbox: Sandbox, logged_in: Invoke
) -> None:
    tenant = interactive_sandbox.tenants[0]
    invoice = min(
        interactive_sandbox.state.rows(tenant, "salesinvoiceswithlines"), key=lambda r: r["id"]
    )
    result = logged_in(
        "get", "salesinvoiceswithlines", "-f", f"id={invoice['id']}", "--fields", "id,lines",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    raw_lines = invoice["lines"]["_data"]
    assert [line["description"] for line in row["lines"]] == [
        line["description"] for line in raw_lines
    ]
    assert set(row["lines"][0]) == {
        "id", "description", "amount", "ledger_account_id", "vat_code_id", "vat_amount",
        "cost_center_id", "cost_unit_id",
    }  # fmt: skip
    assert [line["ledger_account_id"] for line in row["lines"]] == [
        line["ledgerAccountId"] for line in raw_lines
    ]
