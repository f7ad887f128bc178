from django.urls import path

from . import staff_views

app_name = "payments_staff"

urlpatterns = [
    path("", staff_views.payment_list, name="list"),
    path("<str:payment_id>/", staff_views.payment_detail, name="detail"),
    path("<str:payment_id>/counter/", staff_views.payment_counter, name="counter"),
    path("<str:payment_id>/refund/", staff_views.payment_refund, name="refund"),
]
