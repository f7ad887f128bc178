from django.urls import include, path

from . import platform_views

test_gateway_patterns = (
    [
        path("checkout/<str:reference>/", platform_views.test_gateway_checkout, name="checkout"),
        path("checkout/<str:reference>/cancel/", platform_views.test_gateway_cancel, name="cancel"),
    ],
    "payments_test_gateway",
)

urlpatterns = [
    path("webhooks/<slug:adapter_key>/<str:account_id>/", platform_views.webhook, name="payments_webhook"),
    path("test-gateway/", include(test_gateway_patterns)),
]
