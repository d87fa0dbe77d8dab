"""The site's URLs: the app's connect/ and callback/, the administrations, their debtors."""

from __future__ import annotations

from django.urls import include, path

from django_site import views

urlpatterns = [
    path("asperion/", include("asperion_orm.contrib.django.urls")),
    path("", views.administrations, name="administrations"),
    path("<int:tenant>/debtors/", views.debtors, name="debtors"),
]
