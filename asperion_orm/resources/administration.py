"""The administrations (tenants) a user can reach, and their approval routes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Never

from asperion_orm.orm import fields
from asperion_orm.orm.manager import RelatedManager
from asperion_orm.orm.model import Model

if TYPE_CHECKING:
    from asperion_orm.resources.purchases import PurchaseInvoice

__all__ = ["Administration", "ApprovalRoute"]


class Administration(Model):
    """An administration (tenant) the signed-in user can reach; ``client.administrations()``.

    Besides the attributes, ``administration["id"]`` and ``administration.get("isDefault")``
    read a field by its API name (or attribute name), so code written against the raw API dicts
    keeps working.
    """

    id: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    name: fields.String[str | None, Never] = fields.String(max_length=100, read_only=True)
    city: fields.String[str | None, Never] = fields.String(max_length=60, read_only=True)
    vat_number: fields.String[str | None, Never] = fields.String(max_length=20, read_only=True)
    chamber_of_commerce_number: fields.String[str | None, Never] = fields.String(
        max_length=20, read_only=True
    )
    currency_code: fields.String[str | None, Never] = fields.String(max_length=3, read_only=True)
    approval_routing_required: fields.Boolean[bool | None, Never] = fields.Boolean(read_only=True)
    is_default: fields.Boolean[bool | None, Never] = fields.Boolean(read_only=True)

    class Meta:
        path = "administrations"
        read_only = True
        filterable = (
            "id",
            "name",
            "city",
            "vat_number",
            "chamber_of_commerce_number",
            "currency_code",
            "approval_routing_required",
            "is_default",
        )
        range_filterable = ("id",)

    def __getitem__(self, key: str) -> Any:
        """Return a field's value by API name (``"isDefault"``) or attribute name."""
        found = self._meta.field_for_api_name(key) or self._meta.fields.get(key)
        if found is None:
            raise KeyError(key)
        return getattr(self, found.name)

    def get(self, key: str, default: Any = None) -> Any:
        """Return a field's value by API or attribute name, or ``default`` for unknown names."""
        try:
            return self[key]
        except KeyError:
            return default


class ApprovalRoute(Model):
    """An approval route; required on purchase invoices where approval routing is on."""

    id: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    name: fields.String[str | None, Never] = fields.String(max_length=100, read_only=True)
    description: fields.String[str | None, Never] = fields.String(max_length=200, read_only=True)
    active: fields.Boolean[bool | None, Never] = fields.Boolean(read_only=True)

    purchase_invoices: ClassVar[RelatedManager[PurchaseInvoice]]

    class Meta:
        path = "approvalroutes"
        read_only = True
        filterable = ("id", "name", "active")
        range_filterable = ("id",)
