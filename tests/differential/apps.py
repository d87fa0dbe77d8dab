"""The Django app that holds the reference models (label ``reference``)."""

from __future__ import annotations

from django.apps import AppConfig


class ReferenceConfig(AppConfig):
    name = "differential"
    label = "reference"
    default_auto_field = "django.db.models.AutoField"
