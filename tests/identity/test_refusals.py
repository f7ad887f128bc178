"""Every way a sign-in must be refused: state, nonce, ID token checks, PKCE, client authentication."""

from __future__ import annotations

import secrets

import pytest
from django.contrib.auth import get_user_model
from django_scopes import scopes_disabled

from madoguchi.audit.models import AuditEvent
from madoguchi.identity.models import ClientAuthMethod, ExternalIdentity, IdentityLevel, ProviderKind
from madoguchi.identity.services import SESSION_ATTEMPTS
from tests.factories import make_user

from .conftest import GBIZ_CLIENT_ID, GBIZ_SECRET, make_provider
from .fake_provider import new_rp_key

pytestmark = pytest.mark.django_db
User = get_user_model()


def failures() -> list[dict]:
    return [e.details for e in AuditEvent.objects.filter(action="identity.oidc_failed").order_by("id")]


def assert_refused(response, reason: str, *, status: int = 400, text: str = "最初からやり直してください") -> None:
    body = response.content.decode()
    assert response.status_code == status, body[:500]
    assert "ログインできませんでした" in body
    assert text in body
    assert f"<code>{reason}</code>" in body
    assert response.wsgi_request.user.is_authenticated is False
    assert failures()[-1]["reason"] == reason


def with_state(callback_url: str, state: str) -> str:
    path, _, query = callback_url.partition("?")
    params = dict(part.split("=", 1) for part in query.split("&"))
    params["state"] = state
    return path + "?" + "&".join(f"{k}={v}" for k, v in params.items())


def test_forged_state_is_refused_before_any_call_to_the_provider(journey, provider, fake_op):
    callback = journey.authorize(journey.start())

    response = journey.callback(with_state(callback, secrets.token_urlsafe(32)))

    assert_refused(response, "state_invalid")
    assert fake_op.state.token_requests == []
    assert User.objects.count() == 0


def test_callback_without_any_started_attempt_is_refused(client, provider, fake_op):
    response = client.get("/city-a/auth/oidc/myna/callback/", {"code": "abc", "state": "made-up"})

    assert_refused(response, "state_invalid")


def test_replayed_state_is_refused(journey, provider, fake_op):
    link_user = make_user("replay@example.jp")
    with scopes_disabled():
        from django.utils import timezone

        ExternalIdentity.objects.create(
            municipality=provider.municipality,
            user=link_user,
            provider=provider,
            subject="subject-0001",
            identity_level=IdentityLevel.MY_NUMBER_CARD,
            first_login_at=timezone.now(),
            last_login_at=timezone.now(),
        )
    callback = journey.authorize(journey.start())
    assert journey.callback(callback).status_code == 302

    replay = journey.callback(callback)

    assert replay.status_code == 400
    assert "<code>state_invalid</code>" in replay.content.decode()
    assert failures()[-1]["reason"] == "state_invalid"
    assert len(fake_op.state.token_requests) == 1  # the replay never reached the token endpoint


def test_state_expires_after_ten_minutes(journey, provider, fake_op):
    start = journey.start()
    callback = journey.authorize(start)
    session = journey.client.session
    attempts = session[SESSION_ATTEMPTS]
    for attempt in attempts.values():
        attempt["created"] -= 10 * 60 + 1
    session[SESSION_ATTEMPTS] = attempts
    session.save()

    response = journey.callback(callback)

    assert_refused(response, "state_expired", text="有効期限（10分）が切れました")
    assert fake_op.state.token_requests == []


def test_state_of_one_provider_is_refused_at_another_providers_callback(journey, provider, fake_op, city_a, rp_key):
    make_provider(city_a, fake_op, rp_key, slug="other")
    callback = journey.authorize(journey.start())

    response = journey.callback(callback.replace("/oidc/myna/", "/oidc/other/"))

    assert_refused(response, "state_invalid")
    assert fake_op.state.token_requests == []


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("wrong_nonce", "id_token_nonce"),
        ("wrong_issuer", "id_token_issuer"),
        ("wrong_audience", "id_token_audience"),
        ("expired", "id_token_expired"),
        ("bad_signature", "id_token_signature"),
        ("unsigned", "id_token_algorithm"),
    ],
)
def test_id_token_that_fails_a_check_is_refused(journey, provider, fake_op, tamper, reason):
    fake_op.login_as("subject-0001", email="someone@example.jp", email_verified=True)
    fake_op.set_tamper(tamper)

    response = journey.sign_in()

    assert_refused(response, reason, text="本人確認の結果を確かめられなかった")
    assert User.objects.count() == 0
    with scopes_disabled():
        assert not ExternalIdentity.objects.exists()


def test_the_provider_checks_our_pkce_verifier(journey, provider, fake_op):
    callback = journey.authorize(journey.start())
    session = journey.client.session
    attempts = session[SESSION_ATTEMPTS]
    for attempt in attempts.values():
        attempt["verifier"] = "a" * 64  # not the one whose challenge was sent
    session[SESSION_ATTEMPTS] = attempts
    session.save()

    response = journey.callback(callback)

    assert fake_op.state.token_errors == ["invalid_grant:pkce"]
    assert_refused(response, "token_rejected", text="通信に失敗しました")


def test_token_request_carries_the_verifier_and_a_valid_client_assertion(journey, provider, fake_op):
    fake_op.login_as("s", email="ok@example.jp", email_verified=True)

    assert journey.sign_in().status_code == 302

    [request] = fake_op.state.token_requests
    assert request["grant_type"] == "authorization_code"
    assert request["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert request["code_verifier"] and "client_secret" not in request
    assert fake_op.state.token_errors == []  # the fake verified PKCE, the assertion signature, aud, exp, jti


def test_client_assertion_signed_with_an_unregistered_key_is_rejected_by_the_provider(journey, city_a, fake_op):
    make_provider(city_a, fake_op, new_rp_key("RSA"))  # RSA key the provider never saw

    response = journey.sign_in()

    assert "assertion_signature" in fake_op.state.token_errors
    assert_refused(response, "token_rejected", text="通信に失敗しました")


def gbiz_provider(city_a, fake_op, secret: str):
    return make_provider(
        city_a,
        fake_op,
        slug="gbiz",
        name="GビズIDでログイン",
        kind=ProviderKind.GBIZ_ID,
        client_id=GBIZ_CLIENT_ID,
        client_auth_method=ClientAuthMethod.CLIENT_SECRET_BASIC,
        client_secret=secret,
        scopes="openid profile email",
        identity_level=IdentityLevel.BUSINESS_ID,
        userinfo_endpoint=fake_op.endpoints["userinfo_endpoint"],
    )


def test_client_secret_basic_provider_signs_in(journey, city_a, fake_op):
    gbiz_provider(city_a, fake_op, GBIZ_SECRET)
    fake_op.login_as("gbiz-1", in_id_token=False, email="corp@example.jp", email_verified=True)

    response = journey.sign_in(provider_slug="gbiz")

    assert response.status_code == 302
    assert User.objects.filter(email="corp@example.jp").exists()
    assert fake_op.state.token_requests[0]["authorization"] == "present"
    assert fake_op.state.token_errors == []


def test_wrong_client_secret_is_rejected(journey, city_a, fake_op):
    gbiz_provider(city_a, fake_op, "not-the-secret")

    response = journey.sign_in(provider_slug="gbiz")

    assert fake_op.state.token_errors == ["invalid_client"]
    assert_refused(response, "token_rejected", text="通信に失敗しました")


def test_userinfo_for_another_subject_is_refused(journey, city_a, fake_op):
    gbiz_provider(city_a, fake_op, GBIZ_SECRET)
    fake_op.login_as("gbiz-1", in_id_token=False, email="corp@example.jp", email_verified=True)
    fake_op.set_tamper("userinfo_wrong_sub")

    response = journey.sign_in(provider_slug="gbiz")

    assert_refused(response, "userinfo_subject_mismatch", text="本人確認の結果を確かめられなかった")
    assert User.objects.count() == 0


def test_cancel_at_the_provider_shows_a_calm_page_and_uses_up_the_state(journey, provider, fake_op):
    fake_op.state.deny = True
    callback = journey.authorize(journey.start())

    response = journey.callback(callback)

    assert response.status_code == 200
    body = response.content.decode()
    assert "ログインを中止しました" in body and "/city-a/auth/oidc/myna/start/" in body
    assert failures()[-1] == {"provider": "myna", "reason": "cancelled", "provider_error": "access_denied"}
    assert journey.callback(callback).status_code == 400  # the state is gone


def test_provider_error_code_is_logged_only_when_it_looks_like_one(journey, provider, fake_op):
    callback = journey.authorize(journey.start())
    state = journey.query(callback)["state"]

    response = journey.client.get(
        "/city-a/auth/oidc/myna/callback/", {"state": state, "error": "<script>alert(1)</script>"}
    )

    assert response.status_code == 400
    assert failures()[-1] == {"provider": "myna", "reason": "provider_error", "provider_error": "other"}
    assert "<script>alert(1)</script>" not in response.content.decode()
