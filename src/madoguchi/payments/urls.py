from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("<str:payment_id>/return/", views.payment_return, name="return"),
    path("<str:payment_id>/receipt/", views.receipt, name="receipt"),
]
