from django.urls import path

from . import views

app_name = "lottery"

urlpatterns = [
    path("", views.round_list, name="list"),
    path("mine/", views.mine, name="mine"),
    path("mine/<str:entry_id>/withdraw/", views.withdraw, name="withdraw"),
    path("<str:round_id>/", views.round_detail, name="detail"),
    path("<str:round_id>/result.json", views.result_json, name="result_json"),
    path("<str:round_id>/enter/", views.enter, name="enter"),
]
