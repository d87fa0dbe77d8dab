"""``include("asperion_orm.contrib.django.urls")``: the ``connect/`` and ``callback/`` views."""

from __future__ import annotations

from django.urls import path

from asperion_orm.contrib.django import views

app_name = "asperion"
urlpatterns = [
    path("connect/", views.connect, name="connect"),
    path("callback/", views.callback, name="callback"),
]
