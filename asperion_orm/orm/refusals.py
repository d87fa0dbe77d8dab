"""What the API cannot do: Django's QuerySet methods that have no meaning here.

Each says why and what to write instead, rather than an ``AttributeError``.
"""

from __future__ import annotations

from typing import Any, NoReturn

from asperion_orm.exceptions import NotSupportedError

__all__ = ["Refusals"]


class Refusals:
    """``QuerySet``'s methods that raise ``NotSupportedError``."""

    def select_for_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Refuse: the API has no transactions or row locks."""
        raise NotSupportedError(
            "select_for_update() is not supported: the API has no transactions or row locks. "
            "Read, change and save(); the last write wins."
        )

    def raw(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Refuse: the API takes no SQL."""
        raise NotSupportedError(
            "raw() is not supported: the API takes no SQL. Use filter() and with_params(), or "
            "session.get(path, params) for a request the models do not cover."
        )

    def extra(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Refuse: the API takes no SQL."""
        raise NotSupportedError(
            "extra() is not supported: the API takes no SQL. Use filter() with Q objects and "
            "order_by() on fields."
        )

    def alias(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Refuse: nothing is computed by the server, so an alias costs what an annotation does."""
        raise NotSupportedError(
            "alias() is not supported: the API computes nothing, so an alias would cost what an "
            "annotation costs. Use annotate() and leave the value out of values() if unwanted."
        )
