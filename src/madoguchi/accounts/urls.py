from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("signup/", views.signup_view, name="signup"),
    path("signup/done/", views.signup_done_view, name="signup_done"),
    path("verify/resend/", views.resend_verification_view, name="resend_verification"),
    path("verify/<str:token>/", views.verify_email_view, name="verify_email"),
    path("mfa/enrol/", views.mfa_enrol_view, name="mfa_enrol"),
    path("mfa/verify/", views.mfa_verify_view, name="mfa_verify"),
    path("mfa/recovery-codes/", views.recovery_codes_view, name="recovery_codes"),
    path("profile/", views.profile_view, name="profile"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/done/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("password/reset/complete/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
