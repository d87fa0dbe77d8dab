"""The one table the app adds: the token pair of each grant (a user, or the whole site)."""

from __future__ import annotations

from django.db import models


class StoredToken(models.Model):  # type: ignore[misc]
    """One grant's tokens, as ``Token.to_json()``; the row is also the grant's refresh lock."""

    grant = models.CharField(max_length=200, unique=True)
    value = models.TextField(blank=True, default="")
    locked_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "asperion"
        db_table = "asperion_token"
        verbose_name = "Asperion token"

    def __str__(self) -> str:
        return f"Asperion token for {self.grant}"
