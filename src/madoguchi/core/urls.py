from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.platform_home, name="platform_home"),
    path("<slug:municipality_slug>/", views.municipality_home, name="municipality_home"),
]
