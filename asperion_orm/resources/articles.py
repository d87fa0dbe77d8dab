"""Articles (products and services): active only by default, stock read-only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Never

from asperion_orm.orm import fields
from asperion_orm.orm.model import Model
from asperion_orm.resources._managers import ActiveManager, AllRowsManager
from asperion_orm.resources.reference import SalesType

__all__ = ["Article"]


class Article(Model):
    """An article; ``current_stock`` changes only through a ``SalesOrderWithLines``.

    ``Article.objects`` lists the active articles (the API's default). For the others, ask
    explicitly: ``Article.objects.with_inactive()`` or ``Article.all_objects`` send
    ``ActiveState=All``; ``Article.objects.inactive()`` returns only the inactive ones.
    Relations (``line.article``, ``prefetch_related("article")``) follow ``all_objects``.
    """

    id: fields.Integer[int | None, Never] = fields.Integer(read_only=True)
    code: fields.String[str] = fields.String(max_length=20, required=True, null=False)
    description: fields.String[str] = fields.String(max_length=100, required=True, null=False)
    sales_type: fields.ForeignKey[SalesType] = fields.ForeignKey(
        SalesType, related_name="articles", required=True, null=False
    )
    unit: fields.String[str | None] = fields.String(max_length=10)
    price: fields.Decimal[Decimal | None] = fields.Decimal(places=2)
    purchase_price: fields.Decimal[Decimal | None] = fields.Decimal(places=2)
    current_stock: fields.Decimal[Decimal | None, Never] = fields.Decimal(places=2, read_only=True)
    active: fields.Boolean[bool] = fields.Boolean(null=False, default=True)
    created_date: fields.DateTime[dt.datetime | None, Never] = fields.DateTime(read_only=True)
    changed_date: fields.DateTime[dt.datetime | None, Never] = fields.DateTime(read_only=True)

    sales_type_id: int | None = None  # ForeignKey puts the raw id here

    objects: ActiveManager[Article] = ActiveManager()
    all_objects: AllRowsManager[Article] = AllRowsManager()

    class Meta:
        path = "articles"
        base_manager_name = "all_objects"  # relations reach inactive articles too
        default_filters = {"active": True}
        filterable = (
            "id",
            "code",
            "description",
            "sales_type",
            "unit",
            "price",
            "purchase_price",
            "current_stock",
            "active",
            "created_date",
            "changed_date",
        )
        range_filterable = (
            "id",
            "sales_type",
            "price",
            "purchase_price",
            "current_stock",
            "created_date",
            "changed_date",
        )
