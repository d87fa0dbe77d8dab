"""The Django app configuration: registers the system checks."""

from __future__ import annotations

from django.apps import AppConfig


class AsperionConfig(AppConfig):  # type: ignore[misc]
    """``asperion_orm.contrib.django``: tokens in the database, tenant middleware, OAuth views."""

    name = "asperion_orm.contrib.django"
    label = "asperion"
    verbose_name = "Asperion"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from asperion_orm.contrib.django import checks

        checks.register()
