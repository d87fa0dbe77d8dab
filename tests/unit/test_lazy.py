"""``LazyModule``: a stand-in that imports its module when a name is first read."""

from __future__ import annotations

import json

import pytest

from asperion_orm._lazy import LazyModule


def test_a_name_read_once_is_kept_on_the_stand_in() -> None:
    lazy = LazyModule("json")
    assert "dumps" not in vars(lazy)
    assert lazy.dumps is json.dumps
    # Kept: later reads are plain attribute reads, not a trip through the import machinery.
    assert vars(lazy)["dumps"] is json.dumps
    assert repr(lazy) == "LazyModule('json')"


def test_a_missing_name_raises_attribute_error_and_is_not_kept() -> None:
    lazy = LazyModule("json")
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = lazy.no_such_name
    assert "no_such_name" not in vars(lazy)
