"""The cassette machinery: scrubbing, matching, replay without a network, determinism."""

from __future__ import annotations

import configparser
import json
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.request import Request

from asperion_orm import Client
from asperion_orm.exceptions import ConfigurationError
from asperion_orm.testing.cassettes import (
    CassetteNotFoundError,
    NetworkBlockedError,
    Scrubber,
    cassette_session,
    placeholder_token_store,
    use_cassette,
)
from asperion_orm.testing.scan import scan_paths

ROOT = Path(__file__).resolve().parents[2]
CASSETTES = ROOT / "cassettes"

SECRETS = {
    "bearer": "bEaReRtOkEn0123456789abcdefXYZ",
    "basic": "dXNlcjpodW50ZXIy",
    "cookie": "sessioncookie0123456789",
    "set_cookie": "setcookievalue987654321",
    "query_code": "querycode0123456789abcdef",
    "query_token": "querytoken0123456789",
    "client_secret": "clientsecretvalue0123",
    "refresh_in": "refreshtokenin0123456789",
    "verifier": "pkceverifier0123456789abcdefghijklmnopqrstuvw",
    "form_code": "formcode0123456789",
    "json_id_token": "jsonidtoken0123456789",
    "json_password": "hunter2hunter2",
    "json_camel": "camelaccesstoken0123456789",
    "access_out": "accesstokenout0123456789",
    "refresh_out": "refreshtokenout0123456789",
    "id_out": "idtokenout0123456789",
    "location_code": "locationcode0123456789",
}


def _interactions() -> list[tuple[Request, dict[str, object]]]:
    """Return synthetic interactions carrying every kind of secret the scrubber handles."""
    s = SECRETS
    api = Request(
        "POST",
        f"https://api.example.test/v1/debtors?code={s['query_code']}&access_token={s['query_token']}",
        json.dumps(
            {"user": {"password": s["json_password"], "id_token": s["json_id_token"]},
             "accessToken": s["json_camel"], "code": "NL"}
        ).encode(),
        {"Authorization": f"Bearer {s['bearer']}", "Cookie": f"sid={s['cookie']}; theme=dark",
         "Proxy-Authorization": f"Basic {s['basic']}",
         "Content-Type": "application/problem+json; charset=utf-8", "X-Tenant-Id": "7"},
    )  # fmt: skip
    token = Request(
        "POST",
        "https://identity.example.test/connect/token",
        f"grant_type=refresh_token&refresh_token={s['refresh_in']}&client_secret="
        f"{s['client_secret']}&code={s['form_code']}&code_verifier={s['verifier']}",
        {"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
    )
    answer = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Content-Type": ["application/vnd.api+json"],
                    "Set-Cookie": [f"sid={s['set_cookie']}; Path=/; HttpOnly"],
                    "Location": [f"http://127.0.0.1:8765/cb?code={s['location_code']}&state=x"]},
        "body": {"string": json.dumps(
            {"access_token": s["access_out"], "refresh_token": s["refresh_out"],
             "nested": [{"id_token": s["id_out"]}], "token_type": "Bearer"}).encode()},
    }  # fmt: skip
    return [(api, answer), (token, json.loads(json.dumps(answer, default=bytes.decode)))]


def test_scrubbing_leaves_no_secret_in_the_yaml(tmp_path: Path) -> None:
    path = tmp_path / "synthetic.yaml"
    with use_cassette(path, record=True) as cassette:
        for request, response in _interactions():
            cassette.append(request, response)
    text = path.read_text()
    leaked = [name for name, value in SECRETS.items() if value in text]
    assert leaked == []
    assert "REDACTED_ACCESS_TOKEN_" in text and "REDACTED_CLIENT_SECRET_1" in text
    assert '"code":"NL"' in text  # data named "code" is not a secret
    files, findings = scan_paths([path])
    assert (len(files), findings) == (1, [])


def test_one_value_gets_one_placeholder_everywhere() -> None:
    scrubber = Scrubber()
    answer = {"headers": {"Content-Type": ["application/json"]},
              "body": {"string": b'{"access_token": "tok0123456789abcdef"}'}}  # fmt: skip
    scrubber.response(answer)
    request = scrubber.request(
        Request("GET", "https://x.test/v1/a", None, {"Authorization": "Bearer tok0123456789abcdef"})
    )
    assert request.headers["Authorization"] == "Bearer REDACTED_ACCESS_TOKEN_1"
    assert answer["body"]["string"] == b'{"access_token":"REDACTED_ACCESS_TOKEN_1"}'
    assert "tok0123" not in repr(scrubber)


@pytest.mark.parametrize("value", ["", "a", "hunter2"])
def test_a_secret_too_short_to_scrub_by_value_is_refused(value: str) -> None:
    scrubber = Scrubber()
    with pytest.raises(ConfigurationError, match="at least 8 characters"):
        scrubber.secret(value)
    with pytest.raises(ConfigurationError, match="at least 8 characters"):
        scrubber.replace(value, "REDACTED_NAME")
    with pytest.raises(ConfigurationError, match="at least 8 characters"):
        Scrubber({value: "REDACTED_NAME"})


def test_a_registered_secret_is_scrubbed_everywhere() -> None:
    scrubber = Scrubber()
    assert scrubber.secret("hunter22") == "REDACTED_SECRET_1"
    assert scrubber.text('{"note": "pw hunter22 ok"}') == '{"note": "pw REDACTED_SECRET_1 ok"}'


def test_short_values_found_by_name_are_still_scrubbed() -> None:
    request = Scrubber().request(
        Request("GET", "https://x.test/connect/token?code=ab1", None, {"Cookie": "sid=abc"})
    )
    assert request.headers["Cookie"] == "sid=REDACTED_COOKIE_1"
    assert request.uri == "https://x.test/connect/token?code=REDACTED_CODE_1"


def test_replay_blocks_the_network_and_starts_no_sandbox() -> None:
    path = CASSETTES / "reads" / "test_equality_filter.yaml"
    with cassette_session(path) as session:
        client = session.client()
        assert session.sandbox is None
        assert client.base_url == "https://emulator.asperion.invalid/v1"
        assert client.administrations()
        with pytest.raises(NetworkBlockedError):
            socket.create_connection(("127.0.0.1", 9), timeout=1)
        assert len(session.blocked) == 1
    assert session.cassette.play_count == 3


def test_a_changed_tenant_fails_with_what_was_sent_and_recorded() -> None:
    path = CASSETTES / "tenants" / "test_switching_tenants_reads_each_administration.yaml"
    with cassette_session(path) as session:
        client = session.client()
        with pytest.raises(CannotOverwriteExistingCassetteException) as caught:
            client.tenant(41203).get("debtors", [("pageSize", "5")])
    message = str(caught.value)
    assert "GET https://emulator.asperion.invalid/v1/debtors?pageSize=5" in message
    assert "tenant header: sent '41203', recorded '41201'" in message
    assert "Closest recorded requests" in message


def test_a_changed_query_or_body_fails() -> None:
    path = CASSETTES / "writes" / "test_validation_error_in_english.yaml"
    match_on = ["method", "asperion_path", "asperion_query", "asperion_tenant",
                "asperion_language", "asperion_json_body"]  # fmt: skip
    with cassette_session(path, match_on=match_on) as session:
        client = session.client()
        with pytest.raises(CannotOverwriteExistingCassetteException) as caught:
            client.tenant(41201).post("debtors", {"city": "Amsterdam"})
        assert 'JSON body: sent {"city":"Amsterdam"}, recorded {"city":"Utrecht"}' in str(
            caught.value
        )
    with cassette_session(CASSETTES / "reads" / "test_fields_selects_columns.yaml") as session:
        client = session.client()
        client.administrations()
        with pytest.raises(CannotOverwriteExistingCassetteException) as caught:
            client.tenant(41201).get("debtors", [("fields", "id"), ("pageSize", "3")])
        assert "query: sent fields=id that the recording lacks" in str(caught.value)


def test_missing_cassette_is_reported(tmp_path: Path) -> None:
    with (
        pytest.raises(CassetteNotFoundError, match="record it first"),
        use_cassette(tmp_path / "never.yaml"),
    ):
        pass


def test_recording_twice_gives_identical_files(tmp_path: Path) -> None:
    texts = []
    for attempt in range(2):
        path = tmp_path / f"run{attempt}.yaml"
        with cassette_session(path, record=True, sandbox={"records": {"debtors": 5}}) as session:
            client = session.client()
            tenant = client.administrations()[0]["id"]
            created = client.tenant(tenant).post("debtors", {"name": "Twee Keer B.V."})
            client.auth.refresh(client.token, force=True)
            client.tenant(tenant).get(client.tenant(tenant).path("debtors", created["id"]))
        texts.append(path.read_text())
    assert texts[0] == texts[1]
    assert "REDACTED_REFRESH_TOKEN_2" in texts[0]
    assert scan_paths([tmp_path])[1] == []


def test_placeholder_tokens_replay_without_a_login() -> None:
    store = placeholder_token_store()
    client = Client("app", "REDACTED_CLIENT_SECRET", "http://127.0.0.1:1/cb",
                    environment="sandbox", token_store=store)  # fmt: skip
    assert client.token.access_token == "REDACTED_ACCESS_TOKEN"
    client.close()


def test_pytest_integration_messages(tmp_path: Path) -> None:
    (tmp_path / "cassettes" / "demo").mkdir(parents=True)
    source = CASSETTES / "tenants" / "test_switching_tenants_reads_each_administration.yaml"
    (tmp_path / "cassettes" / "demo" / "test_wrong_tenant.yaml").write_text(source.read_text())
    (tmp_path / "test_demo.py").write_text(textwrap.dedent("""
        import pytest
        from asperion_orm.testing import cassettes

        @pytest.mark.asperion_cassette
        def test_missing(asperion_cassette):
            pass

        @pytest.mark.asperion_cassette
        def test_wrong_tenant(asperion_cassette):
            client = asperion_cassette.client()
            client.tenant(41203).get("debtors", [("pageSize", "5")])

        @pytest.fixture
        def vcr_config():
            return cassettes.vcr_config()

        @pytest.mark.vcr
        def test_pytest_recording_replay():
            client = cassettes.emulator_client()
            cassettes.log_in(client)
            assert client.tenant(41202).get("debtors", [("pageSize", "5")])["_data"]
    """))  # fmt: skip
    vcr_dir = tmp_path / "cassettes" / "test_demo"
    vcr_dir.mkdir()
    (vcr_dir / "test_pytest_recording_replay.yaml").write_text(source.read_text())
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", tmp_path,
         str(tmp_path / "test_demo.py")],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 1, out
    assert 'pytest "test_demo.py::test_missing" --record-mode=once' in out
    assert "tenant header: sent '41203', recorded '41201'" in out
    assert 'pytest "test_demo.py::test_wrong_tenant" --record-mode=rewrite' in out
    assert "1 failed, 1 passed, 1 error" in out


def test_a_missing_vcrpy_names_the_extra_to_install(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import sys
        sys.modules["vcr"] = None  # as on an install without the cassettes extra
        from asperion_orm.testing.cassettes import use_cassette
        with use_cassette({str(tmp_path / "x.yaml")!r}, record=True):
            pass
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "ModuleNotFoundError: Cassettes need vcrpy and pytest-recording: "
        "pip install 'asperion_orm[cassettes]'."
    )


def test_the_cassettes_extra_holds_only_what_cassettes_need() -> None:
    config = configparser.ConfigParser()
    config.read(Path(__file__).resolve().parents[2] / "setup.cfg")
    extra = config["options.extras_require"]["cassettes"].split()
    assert sorted(name.split(">")[0].split("<")[0] for name in extra) == [
        "pytest-recording",
        "vcrpy",
    ]
