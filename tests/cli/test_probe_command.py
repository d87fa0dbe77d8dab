"""``asperion probe``: the findings with their evidence, the capabilities file, usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asperion_orm import Client
from asperion_orm.capabilities import Capabilities
from asperion_orm.exceptions import ConfigurationError
from asperion_orm.http.tokens import FileTokenStore, Token
from asperion_orm.probe import MAX_API_READS
from asperion_orm.testing import Sandbox

from .conftest import Invoke

CHECKS = [
    "tenant_header",
    "max_page_size",
    "multi_field_order_by",
    "range_filters",
    "text_comparison",
    "text_default",
    "text_case_sensitive",
    "max_url_bytes",
    "pkce_required",
    "refresh_token_rotation",
]


def tokens(config_home: Path) -> Token:
    token = FileTokenStore(config_home / "asperion" / "tokens.json").load()
    assert token is not None
    return token


def test_probe_before_login(invoke: Invoke) -> None:
    result = invoke("probe")
    assert result.exit_code == 1
    assert result.stderr == "Error: No token is stored yet; run `asperion login` first.\n"


def test_probe_prints_the_findings_and_writes_the_file(
    interactive_sandbox: Sandbox, logged_in: Invoke, config_home: Path
) -> None:
    before = tokens(config_home)
    interactive_sandbox.clear_log()
    result = logged_in("probe")
    assert result.exit_code == 0, result.output
    path = config_home / "asperion" / "capabilities.json"
    lines = result.stdout.splitlines()
    default = interactive_sandbox.tenants[0]
    assert lines[0] == f"Probed {interactive_sandbox.base_url} in administration {default}."
    assert lines[2].split() == ["check", "found"]
    table = dict(line.rstrip().split(None, 1) for line in lines[3 : 3 + len(CHECKS)])
    assert list(table) == CHECKS
    assert table["tenant_header"] == "X-Tenant-Id"
    assert table["max_page_size"] == "100"  # 130 debtors: a page is clamped
    assert table["pkce_required"] == "false"  # the sign-in form came without a challenge
    assert f"Capabilities written to {path};" in lines[-1]
    assert "pageSize=1000 -> 200: 12 rows of 12" in result.stdout
    caps = Capabilities.load(path)
    assert caps.base_url == interactive_sandbox.base_url
    assert sorted(caps.evidence) == sorted(CHECKS)
    assert len(interactive_sandbox.requests("GET", "/v1/*")) <= MAX_API_READS + 1  # + the list
    after = tokens(config_home)
    secrets = [interactive_sandbox.client_secret, interactive_sandbox.password]
    secrets += [before.access_token, before.refresh_token, after.access_token, after.refresh_token]
    for text in (result.output, path.read_text()):
        assert not [secret for secret in secrets if secret and secret in text]


def test_the_file_round_trips_through_client(
    interactive_sandbox: Sandbox, logged_in: Invoke, tmp_path: Path
) -> None:
    path = tmp_path / "probe.json"
    result = logged_in("probe", "--out", str(path))
    assert result.exit_code == 0, result.output
    assert json.loads(path.read_text())["format"] == 1
    kwargs = {
        "client_id": interactive_sandbox.client_id,
        "client_secret": interactive_sandbox.client_secret,
        "redirect_uri": interactive_sandbox.redirect_uri,
        "identity_url": interactive_sandbox.identity_url,
        "ca_bundle": interactive_sandbox.ca_bundle,
    }
    base_url = interactive_sandbox.base_url
    with Client(**kwargs, base_url=base_url, capabilities=str(path)) as client:
        assert client.capabilities == Capabilities.load(path)
        assert client.capabilities.max_url_bytes == 2048 + len(base_url) + 2
    with pytest.raises(ConfigurationError, match="probe this environment"):
        Client(**kwargs, environment="sandbox", capabilities=str(path))


def test_probe_reads_only_without_allow_writes(
    interactive_sandbox: Sandbox, logged_in: Invoke, tmp_path: Path
) -> None:
    interactive_sandbox.clear_log()
    result = logged_in("probe", "--tenant", str(interactive_sandbox.tenants[1]), "--out",
                       str(tmp_path / "caps.json"))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert {entry.method for entry in interactive_sandbox.requests(path="/v1/*")} == {"GET"}
    assert "writes" not in result.stdout


def test_probe_with_allow_writes_creates_and_deletes_one_debtor(
    interactive_sandbox: Sandbox, logged_in: Invoke, tmp_path: Path
) -> None:
    target = interactive_sandbox.add_administration(records={"debtors": 3})
    interactive_sandbox.clear_log()
    result = logged_in("probe", "--allow-writes", "--write-tenant", str(target), "--out",
                       str(tmp_path / "caps.json"))  # fmt: skip
    assert result.exit_code == 0, result.output
    writes = [e for e in interactive_sandbox.requests(path="/v1/*") if e.method != "GET"]
    assert [(e.method, e.status, e.tenant) for e in writes] == [
        ("POST", 201, target),
        ("DELETE", 204, target),
    ]
    assert "writes                  create 201, delete 204" in result.stdout
    assert interactive_sandbox.state.count(target, "debtors") == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--allow-writes"], "--allow-writes needs --write-tenant ID"),
        (["--write-tenant", "41201"], "--write-tenant is only used with --allow-writes"),
        (["--tenant", "0"], "Invalid value for '--tenant'"),
        (["--write-tenant", "x", "--allow-writes"], "Invalid value for '--write-tenant'"),
    ],
)
def test_usage_errors_say_what_to_do(
    interactive_sandbox: Sandbox, logged_in: Invoke, args: list[str], message: str
) -> None:
    interactive_sandbox.clear_log()
    result = logged_in("probe", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert interactive_sandbox.request_log == []


@pytest.mark.parametrize("option", ["--tenant", "--write-tenant"])
def test_an_administration_the_user_cannot_reach_is_refused(
    interactive_sandbox: Sandbox, logged_in: Invoke, option: str
) -> None:
    args = [option, "99"] + (["--allow-writes"] if option == "--write-tenant" else [])
    interactive_sandbox.clear_log()
    result = logged_in("probe", *args)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {option} 99 is not an administration this user can reach; list them with "
        "`asperion tenants`.\n"
    )
    assert [e.path for e in interactive_sandbox.requests(path="/v1/*")] == ["/v1/administrations"]


def test_an_out_path_that_cannot_be_written_is_refused_before_any_request(
    interactive_sandbox: Sandbox, logged_in: Invoke, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    interactive_sandbox.clear_log()
    result = logged_in("probe", "--out", str(blocker / "caps.json"))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: cannot write {blocker / 'caps.json'} (")
    assert result.stderr.endswith("pass --out with a file in a writable directory.\n")
    assert interactive_sandbox.request_log == []


def test_the_other_commands_use_the_file_the_probe_wrote(
    interactive_sandbox: Sandbox, logged_in: Invoke, config_home: Path
) -> None:
    path = config_home / "asperion" / "capabilities.json"
    Capabilities(max_page_size=40, base_url=interactive_sandbox.base_url).save(path)
    interactive_sandbox.clear_log()
    result = logged_in("get", "debtors", "--format", "jsonl", "--fields", "id")
    assert result.exit_code == 0, result.output
    sizes = {dict(entry.params)["pageSize"] for entry in interactive_sandbox.requests("GET")}
    assert sizes == {"40"}
    # A file for another environment stops the command with the file and the key named...
    Capabilities(base_url="https://api-sandbox.asperion.nl/v1").save(path)
    refused = logged_in("get", "debtors")
    assert refused.exit_code == 2 and str(path) in refused.stderr and "'base_url'" in refused.stderr
    # ...but not the probe, which assumes nothing and writes a fresh one.
    assert logged_in("probe").exit_code == 0
    assert Capabilities.load(path).base_url == interactive_sandbox.base_url
