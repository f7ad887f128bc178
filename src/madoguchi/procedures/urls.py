from django.urls import path

from . import views

app_name = "procedures"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("<slug:procedure_slug>/", views.procedure_detail, name="detail"),
]
