"""Tokens and token stores: redaction, leeway, 0600 files, atomic replace, locks."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

import pytest

from asperion_orm import FileTokenStore, MemoryTokenStore, Token, TokenStore
from asperion_orm.exceptions import ConfigurationError


def _token(
    access: str = "acc-secret", refresh: str | None = "ref-secret", life: float = 3600
) -> Token:
    return Token.from_response(
        {"access_token": access, "refresh_token": refresh, "expires_in": life}, now=1000.0
    )


def test_token_repr_hides_both_tokens() -> None:
    token = _token()
    assert "acc-secret" not in repr(token) and "ref-secret" not in repr(token)
    assert "acc-secret" not in str(token)


@pytest.mark.parametrize(
    ("life", "leeway"), [(3600, 360), (60, 6), (30, 5), (10, 5), (2, 1), (1, 0.5)]
)
def test_leeway_is_about_ten_percent_of_the_lifetime(life: float, leeway: float) -> None:
    assert _token(life=life).leeway == pytest.approx(leeway)


def test_expiry_counts_the_leeway() -> None:
    token = _token(life=100)  # received at 1000, expires at 1100, leeway 10
    assert not token.is_expired(1089.9)
    assert token.is_expired(1090)


def test_a_refresh_answer_without_refresh_token_keeps_the_old_one_and_the_grant() -> None:
    old = _token()
    new = Token.from_response({"access_token": "acc-2", "expires_in": 60}, now=2000, previous=old)
    assert new.refresh_token == "ref-secret"
    assert new.grant_id == old.grant_id
    assert new.expires_at == 2060


def test_stores_implement_the_protocol(tmp_path: Path) -> None:
    assert isinstance(MemoryTokenStore(), TokenStore)
    assert isinstance(FileTokenStore(tmp_path / "t.json"), TokenStore)


def test_file_store_round_trips_and_is_private(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens" / "t.json")
    assert store.load() is None
    token = _token()
    store.save(token)
    assert store.load() == token
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert "secret" not in repr(store)


def test_file_store_refuses_a_file_others_can_read(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "t.json")
    store.save(_token())
    os.chmod(store.path, 0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        store.load()


def test_file_store_replaces_atomically(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "t.json")
    store.save(_token("first"))
    inode = os.stat(store.path).st_ino
    store.save(_token("second"))
    assert os.stat(store.path).st_ino != inode  # a new file moved into place
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == ["t.json"]
    assert store.load() is not None and store.load().access_token == "second"  # type: ignore[union-attr]


def test_file_store_lock_is_reentrant_and_excludes_other_threads(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "t.json")
    order: list[str] = []
    with store.lock(), store.lock():
        worker = threading.Thread(target=lambda: _locked(store, order))
        worker.start()
        time.sleep(0.05)
        order.append("main")
    worker.join(5)
    assert order == ["main", "worker"]


def _locked(store: FileTokenStore, order: list[str]) -> None:
    with store.lock():
        order.append("worker")


@pytest.mark.parametrize(
    "content",
    ['{"access_token": "acc', "null", "[]", "{}", '"text"', "42",
     '{"access_token": "", "refresh_token": null, "expires_at": 1, "lifetime": 1}',
     '{"access_token": "a", "refresh_token": 7, "expires_at": 1, "lifetime": 1}',
     '{"access_token": "a", "refresh_token": null, "expires_at": "soon", "lifetime": 1}',
     '{"access_token": "a", "refresh_token": null, "expires_at": 1e400, "lifetime": 1}',
     '{"access_token": "a\\nb", "refresh_token": null, "expires_at": 1, "lifetime": 1}',
     "\x00\x01binary"],
    ids=["truncated", "null", "list", "empty-object", "string", "number", "empty-token",
         "refresh-not-text", "expiry-not-number", "infinite-expiry", "newline", "binary"],
)  # fmt: skip
def test_a_damaged_token_file_says_to_log_in_again(tmp_path: Path, content: str) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(content)
    os.chmod(path, 0o600)
    with pytest.raises(ConfigurationError) as caught:
        FileTokenStore(path).load()
    message = str(caught.value)
    assert str(path) in message
    assert "log in again" in message and "remove the file" in message
    assert "acc" not in message.replace("access", "")  # no content from the file


def _leftover(store: FileTokenStore, token: Token, name: str = "abc12345") -> Path:
    """Write ``token`` where a save that crashed before its rename would have left it."""
    temp = store.path.with_name(f".{store.path.name}.{name}.tmp")
    temp.write_text(token.to_json())
    os.chmod(temp, 0o600)
    return temp


def _issued_at(when: float, access: str) -> Token:
    return Token.from_response(
        {"access_token": access, "refresh_token": f"{access}-refresh", "expires_in": 3600}, now=when
    )


def test_a_newer_token_left_by_a_crashed_save_is_recovered(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    store.save(_issued_at(1000, "old"))
    temp = _leftover(store, _issued_at(2000, "new"))
    loaded = store.load()
    assert loaded is not None and loaded.refresh_token == "new-refresh"
    assert not temp.exists()
    assert FileTokenStore(store.path).load() == loaded  # promoted into place
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600


def test_a_leftover_recovers_a_missing_or_damaged_token_file(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    _leftover(store, _issued_at(2000, "only"))
    loaded = store.load()
    assert loaded is not None and loaded.access_token == "only"
    store.path.write_text("{")
    _leftover(store, _issued_at(3000, "after"))
    loaded = store.load()
    assert loaded is not None and loaded.access_token == "after"


def test_older_or_damaged_leftovers_are_removed(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    store.save(_issued_at(2000, "current"))
    older = _leftover(store, _issued_at(1000, "older"), "older111")
    damaged = _leftover(store, _issued_at(3000, "x"), "damaged1")
    damaged.write_text('{"access_token": "x", "refr')
    loaded = store.load()
    assert loaded is not None and loaded.access_token == "current"
    assert not older.exists() and not damaged.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokens.json", "tokens.json.lock"]


def test_a_save_in_progress_elsewhere_is_left_alone(tmp_path: Path) -> None:
    """While another user of the store holds its lock, its temporary file is not touched."""
    store = FileTokenStore(tmp_path / "tokens.json")
    store.save(_issued_at(1000, "current"))
    ready, release = threading.Event(), threading.Event()

    def writer() -> None:
        with FileTokenStore(store.path).lock():
            _leftover(store, _issued_at(2000, "in-flight"))
            ready.set()
            release.wait(5)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert ready.wait(5)
        loaded = store.load()
        assert loaded is not None and loaded.access_token == "current"
        assert len(list(tmp_path.glob(".tokens.json.*.tmp"))) == 1
    finally:
        release.set()
        thread.join(5)
