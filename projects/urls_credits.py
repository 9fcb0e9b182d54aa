"""URLs of the credits pages: spend, report, CSV, budgets, pricing, reconciliation."""

from django.urls import path

from projects.views import credits as views

urlpatterns = [
    path("", views.my_spend, name="spend"),
    path("report/", views.spend_report, name="spend_report"),
    path("report.csv", views.spend_csv, name="spend_csv"),
    path("budgets/", views.budgets, name="budgets"),
    path("budgets/<id:budget_id>/remove/", views.budget_remove, name="budget_remove"),
    path("pricing/", views.pricing_page, name="pricing"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
]
