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
