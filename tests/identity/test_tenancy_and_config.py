"""Providers belong to one municipality; `next` stays on our host; configuration rules and secrets."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.test import RequestFactory
from django.utils import translation
from django_scopes import scopes_disabled

from madoguchi.audit.models import AuditEvent
from madoguchi.identity.models import ClientAuthMethod, IdentityProvider, ProviderKind
from madoguchi.identity.selectors import providers_for_login
from madoguchi.identity.services import SESSION_ATTEMPTS
from tests.factories import PASSWORD, make_platform_admin, make_user, staff_client

from .conftest import make_provider

pytestmark = pytest.mark.django_db


def test_provider_of_another_municipality_cannot_be_started_or_completed_here(client, city_a, city_b, fake_op, rp_key):
    make_provider(city_b, fake_op, rp_key, slug="b-only")

    assert client.get("/city-a/auth/oidc/b-only/start/").status_code == 404
    assert client.get("/city-a/auth/oidc/b-only/callback/", {"code": "x", "state": "y"}).status_code == 404
    assert client.get("/city-a/auth/oidc/b-only/jwks.json").status_code == 404
    assert client.get("/city-b/auth/oidc/b-only/start/").status_code == 302


def test_callback_of_municipality_b_refuses_a_state_started_at_municipality_a(journey, city_a, city_b, fake_op, rp_key):
    make_provider(city_a, fake_op, rp_key)
    make_provider(city_b, fake_op, rp_key)  # same slug, other city
    callback = journey.authorize(journey.start())

    response = journey.callback(callback.replace("/city-a/", "/city-b/"))

    assert response.status_code == 400 and "<code>state_invalid</code>" in response.content.decode()
    assert fake_op.state.token_requests == []


def test_disabled_provider_is_not_found(client, city_a, fake_op, rp_key):
    make_provider(city_a, fake_op, rp_key, is_enabled=False)

    assert client.get("/city-a/auth/oidc/myna/start/").status_code == 404
    assert client.get("/city-a/auth/oidc/myna/callback/", {"state": "s", "code": "c"}).status_code == 404


def test_unknown_provider_is_not_found(client, city_a):
    assert client.get("/city-a/auth/oidc/nothing/start/").status_code == 404


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/path", "http://testserver.evil.example/", "javascript:alert(1)"],
)
def test_next_to_another_host_is_ignored(journey, provider, fake_op, next_url):
    fake_op.login_as("n-1", email="n@example.jp", email_verified=True)

    response = journey.sign_in(next_url=next_url)

    assert response.status_code == 302 and response["Location"] == "/city-a/"


def test_next_on_this_host_is_followed(journey, provider, fake_op):
    fake_op.login_as("n-2", email="n2@example.jp", email_verified=True)

    response = journey.sign_in(next_url="/city-a/notices/?page=2")

    assert response["Location"] == "/city-a/notices/?page=2"


def test_only_a_few_attempts_are_kept_per_session(journey, provider):
    for _ in range(8):
        journey.start()
    assert len(journey.client.session[SESSION_ATTEMPTS]) == 5


def test_providers_for_login_lists_enabled_providers_of_that_municipality_in_the_active_language(
    city_a, city_b, fake_op, rp_key
):
    make_provider(city_a, fake_op, rp_key, sort_order=2)
    make_provider(city_a, fake_op, rp_key, slug="off", is_enabled=False)
    make_provider(
        city_a,
        fake_op,
        None,
        slug="gbiz",
        name="GビズIDでログイン",
        name_en="",
        kind=ProviderKind.GBIZ_ID,
        client_auth_method=ClientAuthMethod.CLIENT_SECRET_POST,
        client_secret="x",
        sort_order=1,
    )
    make_provider(city_b, fake_op, rp_key, slug="b-only")
    request = RequestFactory().get("/accounts/login/", {"next": "/city-a/notices/"})  # no municipality scope here

    with translation.override("ja"):
        ja = providers_for_login(request, city_a)
    with translation.override("en"):
        en = providers_for_login(request, city_a)

    assert [p["label"] for p in ja] == ["GビズIDでログイン", "マイナンバーカードでログイン（デジタル認証アプリ）"]
    assert [p["label"] for p in en] == ["GビズIDでログイン", "Sign in with My Number Card (Digital Authentication App)"]
    assert ja[1]["start_url"] == "/city-a/auth/oidc/myna/start/?next=%2Fcity-a%2Fnotices%2F"
    evil = RequestFactory().get("/accounts/login/", {"next": "https://evil.example/"})
    assert providers_for_login(evil, city_a)[0]["start_url"] == "/city-a/auth/oidc/gbiz/start/"
    # Without a municipality, the one `next` points into decides (the platform login page's case).
    assert [p["label"] for p in providers_for_login(request)] == [p["label"] for p in ja]
    assert providers_for_login(RequestFactory().get("/accounts/login/", {"next": "/city-b/"}))[0]["start_url"] == (
        "/city-b/auth/oidc/b-only/start/?next=%2Fcity-b%2F"
    )
    assert providers_for_login(evil) == []
    assert providers_for_login(RequestFactory().get("/accounts/login/")) == []


def test_secrets_are_stored_encrypted(city_a, fake_op, rp_key):
    provider = make_provider(
        city_a,
        fake_op,
        None,
        kind=ProviderKind.GENERIC,
        slug="generic",
        client_auth_method=ClientAuthMethod.CLIENT_SECRET_BASIC,
        client_secret="plain-secret-123",
    )
    provider.set_private_key_jwk(dict(rp_key.as_dict(private=True)))
    with scopes_disabled():
        provider.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT client_secret_encrypted, private_key_jwk_encrypted FROM identity_identityprovider")
        stored_secret, stored_key = cursor.fetchone()
    assert "plain-secret-123" not in stored_secret
    assert rp_key.as_dict(private=True)["d"] not in stored_key
    with scopes_disabled():
        again = IdentityProvider.objects.get(pk=provider.pk)
    assert again.get_client_secret() == "plain-secret-123"
    assert again.get_private_key_jwk()["d"] == rp_key.as_dict(private=True)["d"]


def test_relying_party_public_key_is_published_without_the_private_part(client, provider, rp_key):
    response = client.get("/city-a/auth/oidc/myna/jwks.json")

    assert response.status_code == 200
    [key] = response.json()["keys"]
    assert key["kty"] == "EC" and key["x"] == rp_key.as_dict()["x"]
    assert "d" not in key and key["use"] == "sig" and key["alg"] == "ES256"


def test_digital_auth_app_must_use_private_key_jwt(city_a, fake_op):
    with pytest.raises(ValidationError) as error:
        make_provider(city_a, fake_op, None, client_auth_method=ClientAuthMethod.CLIENT_SECRET_BASIC, client_secret="s")
    assert "client_auth_method" in error.value.message_dict
    with scopes_disabled(), pytest.raises(IntegrityError):
        IdentityProvider.objects.create(
            municipality=city_a,
            slug="x",
            name="x",
            kind=ProviderKind.DIGITAL_AUTH_APP,
            issuer="https://a.example",
            authorization_endpoint="https://a.example/a",
            token_endpoint="https://a.example/t",
            jwks_uri="https://a.example/j",
            client_id="c",
            client_auth_method=ClientAuthMethod.CLIENT_SECRET_BASIC,
        )


def test_configuration_rules(city_a, fake_op, rp_key):
    with pytest.raises(ValidationError) as error:
        make_provider(city_a, fake_op, rp_key, token_endpoint="http://op.example/token", scopes="name address")
    assert set(error.value.message_dict) == {"token_endpoint", "scopes"}
    with pytest.raises(ValidationError) as error:
        make_provider(city_a, fake_op, None)  # private_key_jwt without a key
    assert "client_auth_method" in error.value.message_dict
    make_provider(city_a, fake_op, rp_key)
    with pytest.raises(ValidationError):
        make_provider(city_a, fake_op, rp_key)  # slug unique per municipality


def admin_form_data(fake_op, city, **overrides):
    data = {
        "municipality": city.pk,
        "slug": "myna",
        "name": "マイナンバーカードでログイン",
        "name_en": "",
        "kind": "generic",
        "issuer": fake_op.endpoints["issuer"],
        "authorization_endpoint": fake_op.endpoints["authorization_endpoint"],
        "token_endpoint": fake_op.endpoints["token_endpoint"],
        "jwks_uri": fake_op.endpoints["jwks_uri"],
        "userinfo_endpoint": "",
        "client_id": "RP00000002",
        "client_auth_method": "client_secret_post",
        "client_secret": "admin-typed-secret-42",
        "private_key_jwk": "",
        "scopes": "openid name address birthdate",
        "identity_level": "my_number_card",
        "is_enabled": "on",
        "sort_order": "0",
    }
    data.update(overrides)
    return data


def test_platform_admin_configures_a_provider_with_write_only_secrets(city_a, fake_op):
    admin = staff_client(make_platform_admin())

    created = admin.post("/admin/identity/identityprovider/add/", admin_form_data(fake_op, city_a))

    assert created.status_code == 302, created.content.decode()[:2000]
    with scopes_disabled():
        provider = IdentityProvider.objects.get()
    assert provider.get_client_secret() == "admin-typed-secret-42"
    page = admin.get(f"/admin/identity/identityprovider/{provider.pk}/change/").content.decode()
    assert "admin-typed-secret-42" not in page and provider.client_secret_encrypted not in page
    # Saving again with the secret field left empty keeps the stored secret.
    data = admin_form_data(fake_op, city_a, client_secret="", name="変更後", generate_private_key="on")
    assert admin.post(f"/admin/identity/identityprovider/{provider.pk}/change/", data).status_code == 302
    with scopes_disabled():
        provider.refresh_from_db()
    assert provider.name == "変更後" and provider.get_client_secret() == "admin-typed-secret-42"
    assert provider.get_private_key_jwk()["kty"] == "RSA"
    events = list(AuditEvent.objects.filter(action__startswith="identity.provider_").order_by("id"))
    assert [e.action for e in events] == ["identity.provider_created", "identity.provider_updated"]
    assert events[1].details["replaced"] == ["private_key_jwk"]
    assert "admin-typed-secret-42" not in str([e.details for e in events])


def test_admin_refuses_a_public_key_where_the_private_key_belongs(city_a, fake_op, rp_key):
    admin = staff_client(make_platform_admin())
    import json

    data = admin_form_data(
        fake_op,
        city_a,
        client_auth_method="private_key_jwt",
        client_secret="",
        private_key_jwk=json.dumps(dict(rp_key.as_dict(private=False))),
    )
    response = admin.post("/admin/identity/identityprovider/add/", data)

    assert response.status_code == 200
    assert "RSAまたはECの秘密鍵をJWK形式（JSON）で入力してください。" in response.content.decode()
    with scopes_disabled():
        assert not IdentityProvider.objects.exists()


def test_residents_cannot_reach_the_admin(client, city_a):
    user = make_user("r@example.jp")
    client.login(email=user.email, password=PASSWORD)
    assert client.get("/admin/identity/identityprovider/").status_code == 302


def test_discovery_refreshes_endpoints_and_insists_on_the_same_issuer(city_a, fake_op, rp_key):
    from madoguchi.core.errors import ServiceError
    from madoguchi.identity.services import identity_provider_apply_discovery

    provider = make_provider(city_a, fake_op, rp_key, token_endpoint="https://old.example/token")
    admin = make_platform_admin()

    with scopes_disabled():
        changed = identity_provider_apply_discovery(provider=provider, actor=admin, request=None)
        provider.refresh_from_db()
    assert changed == ["token_endpoint", "userinfo_endpoint"]
    assert provider.token_endpoint == fake_op.endpoints["token_endpoint"]
    assert AuditEvent.objects.get(action="identity.provider_discovered").details["fields"] == changed

    provider.issuer = fake_op.issuer + "/"  # discovery answers with the issuer without the slash
    with scopes_disabled(), pytest.raises(ServiceError) as error:
        identity_provider_apply_discovery(provider=provider, actor=admin, request=None)
    assert error.value.code == "discovery_issuer_mismatch"


def test_platform_admin_runs_discovery_from_the_list(city_a, fake_op, rp_key):
    provider = make_provider(city_a, fake_op, rp_key, jwks_uri="https://old.example/jwks")
    admin = staff_client(make_platform_admin())

    response = admin.post(
        "/admin/identity/identityprovider/", {"action": "apply_discovery", "_selected_action": [provider.pk]}
    )

    assert response.status_code == 302
    with scopes_disabled():
        provider.refresh_from_db()
    assert provider.jwks_uri == fake_op.endpoints["jwks_uri"]


def test_secrets_follow_the_encryption_key_and_survive_secret_key_rotation(settings):
    from madoguchi.identity import crypto

    settings.MFA_ENCRYPTION_KEY = ""
    settings.SECRET_KEY = "old-secret-key-" + "x" * 40
    stored = crypto.encrypt("client-secret")

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "new-secret-key-" + "y" * 40, [settings.SECRET_KEY]
    assert crypto.decrypt(stored) == "client-secret"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(ValueError):
        crypto.decrypt(stored)

    settings.MFA_ENCRYPTION_KEY = "dedicated-key"
    dedicated = crypto.encrypt("client-secret")
    settings.SECRET_KEY = "another-secret-key-" + "z" * 40
    assert crypto.decrypt(dedicated) == "client-secret"
