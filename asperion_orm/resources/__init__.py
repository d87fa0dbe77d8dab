"""The Asperion resources as models: one class per API endpoint, documented and assumed.

``get_model("debtors")`` finds a model by its API path, class name or snake-case name
(case-insensitive; ``"debtor"`` too, as the API answers both); ``MODELS`` maps every API path
to its model.
"""

from __future__ import annotations

from asperion_orm.orm.model import Model
from asperion_orm.resources.administration import Administration, ApprovalRoute
from asperion_orm.resources.articles import Article
from asperion_orm.resources.contacts import Creditor, Debtor
from asperion_orm.resources.ledger import (
    JournalEntry,
    JournalEntryLine,
    JournalEntryLog,
    LedgerGrouped,
)
from asperion_orm.resources.purchases import PurchaseInvoice, PurchaseInvoiceLine
from asperion_orm.resources.reference import (
    CostCenter,
    CostUnit,
    Country,
    Journal,
    LedgerAccount,
    PaymentCondition,
    SalesType,
    VatCode,
)
from asperion_orm.resources.sales import (
    InvoiceFile,
    InvoiceStatus,
    SalesInvoice,
    SalesInvoiceHeader,
    SalesInvoiceLine,
    SalesOrderLine,
    SalesOrderWithLines,
)

__all__ = [
    "MODELS",
    "Administration",
    "ApprovalRoute",
    "Article",
    "CostCenter",
    "CostUnit",
    "Country",
    "Creditor",
    "Debtor",
    "InvoiceFile",
    "InvoiceStatus",
    "Journal",
    "JournalEntry",
    "JournalEntryLine",
    "JournalEntryLog",
    "LedgerAccount",
    "LedgerGrouped",
    "PaymentCondition",
    "PurchaseInvoice",
    "PurchaseInvoiceLine",
    "SalesInvoice",
    "SalesInvoiceHeader",
    "SalesInvoiceLine",
    "SalesOrderLine",
    "SalesOrderWithLines",
    "SalesType",
    "VatCode",
    "get_model",
]

_RESOURCES: tuple[type[Model], ...] = (
    Administration,
    ApprovalRoute,
    SalesType,
    Article,
    SalesOrderWithLines,
    LedgerGrouped,
    JournalEntryLog,
    Country,
    Debtor,
    Creditor,
    SalesInvoice,
    SalesInvoiceHeader,
    PurchaseInvoice,
    JournalEntry,
    Journal,
    LedgerAccount,
    VatCode,
    PaymentCondition,
    CostCenter,
    CostUnit,
)

MODELS: dict[str, type[Model]] = {model._meta.check_path(): model for model in _RESOURCES}
"""Every resource model by its API path (``"debtors"``, ``"SalesOrderWithLines"``, ...)."""

ALIASES = {"debtor": "debtors"}
"""Other spellings of API paths that the API answers too."""


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _aliases() -> dict[str, type[Model]]:
    found: dict[str, type[Model]] = {}
    for path, model in MODELS.items():
        for alias in (path, model.__name__, _snake(model.__name__)):
            found[alias.lower()] = model
    for alias, path in ALIASES.items():
        found[alias] = MODELS[path]
    return found


_ALIASES = _aliases()


def get_model(name: str) -> type[Model]:
    """Return the model for an API path, class name or snake-case name (case-insensitive).

    ``get_model("debtors")``, ``get_model("debtor")``, ``get_model("Debtor")`` and
    ``get_model("sales_invoice")`` all work; an unknown name raises ``LookupError`` listing the
    known paths.
    """
    model = _ALIASES.get(name.strip().strip("/").lower())
    if model is None:
        known = ", ".join(sorted(MODELS, key=str.lower))
        raise LookupError(f"Unknown resource {name!r}; known resources: {known}.")
    return model
