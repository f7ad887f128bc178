from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client as DjangoClient
from django_scopes import scopes_disabled

from madoguchi.identity.models import ClientAuthMethod, IdentityLevel, IdentityProvider, ProviderKind

from .fake_provider import Client, FakeOpenIDProvider, new_rp_key, new_signing_key

CLIENT_ID = "RP00000001"
GBIZ_CLIENT_ID = "gbiz-client"
GBIZ_SECRET = "s3cret/with:odd&chars"

# 基本4情報 as a card-based provider might send them (one-string name and address).
BASIC_FOUR = {
    "name": "窓口\u3000花子",
    "address": "富山県南砺市荒木1550",
    "birthdate": "1990-04-01",
    "gender": "2",
}


@pytest.fixture(scope="session")
def rp_key():
    return new_rp_key("EC")


@pytest.fixture(scope="session")
def _fake_op_server() -> Iterator[FakeOpenIDProvider]:
    op = FakeOpenIDProvider(signing_key=new_signing_key("op-key-1"), other_key=new_signing_key("op-key-1")).start()
    yield op
    op.stop()


@pytest.fixture
def fake_op(_fake_op_server: FakeOpenIDProvider, rp_key) -> FakeOpenIDProvider:
    """The fake provider, reset for this test, with our relying party registered (private_key_jwt)."""
    op = _fake_op_server
    op.reset()
    op.register_client(Client(CLIENT_ID, "private_key_jwt", public_jwk=dict(rp_key.as_dict(private=False))))
    op.register_client(Client(GBIZ_CLIENT_ID, "client_secret_basic", secret=GBIZ_SECRET))
    op.login_as("subject-0001", **BASIC_FOUR)
    return op


def make_provider(municipality, fake_op: FakeOpenIDProvider, rp_key=None, **overrides: Any) -> IdentityProvider:
    endpoints = fake_op.endpoints
    data: dict[str, Any] = {
        "slug": "myna",
        "name": "マイナンバーカードでログイン（デジタル認証アプリ）",
        "name_en": "Sign in with My Number Card (Digital Authentication App)",
        "kind": ProviderKind.DIGITAL_AUTH_APP,
        "issuer": endpoints["issuer"],
        "authorization_endpoint": endpoints["authorization_endpoint"],
        "token_endpoint": endpoints["token_endpoint"],
        "jwks_uri": endpoints["jwks_uri"],
        "userinfo_endpoint": "",
        "client_id": CLIENT_ID,
        "client_auth_method": ClientAuthMethod.PRIVATE_KEY_JWT,
        "identity_level": IdentityLevel.MY_NUMBER_CARD,
        "is_enabled": True,
    }
    secret = overrides.pop("client_secret", None)
    data.update(overrides)
    provider = IdentityProvider(municipality=municipality, **data)
    if rp_key is not None:
        provider.set_private_key_jwk(dict(rp_key.as_dict(private=True)))
    if secret:
        provider.set_client_secret(secret)
    with scopes_disabled():
        provider.full_clean()
        provider.save()
    return provider


@pytest.fixture
def provider(city_a, fake_op, rp_key) -> IdentityProvider:
    return make_provider(city_a, fake_op, rp_key)


class Journey:
    """A browser (Django test client) walking the sign-in: our start page, the fake provider, our callback."""

    def __init__(self, client: DjangoClient, fake_op: FakeOpenIDProvider):
        self.client = client
        self.fake_op = fake_op

    def start(self, municipality_slug: str = "city-a", provider_slug: str = "myna", next_url: str | None = None):
        path = f"/{municipality_slug}/auth/oidc/{provider_slug}/start/"
        return self.client.get(path, {"next": next_url} if next_url is not None else {})

    def authorize(self, start_response) -> str:
        """Follow the redirect to the fake provider; returns the callback path+query it sends back to."""
        assert start_response.status_code == 302, start_response.status_code
        answer = requests.get(start_response["Location"], allow_redirects=False, timeout=5)
        assert answer.status_code == 302, answer.text
        back = urlsplit(answer.headers["Location"])
        assert back.netloc == "testserver"
        return f"{back.path}?{back.query}"

    def callback(self, callback_url: str):
        return self.client.get(callback_url)

    def sign_in(self, **start_kwargs: Any):
        return self.callback(self.authorize(self.start(**start_kwargs)))

    @staticmethod
    def query(url: str) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.fixture
def journey(client, fake_op) -> Journey:
    return Journey(client, fake_op)
