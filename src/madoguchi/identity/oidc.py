"""The OpenID Connect relying-party protocol: PKCE, client authentication, token exchange, ID token checks.

Pure protocol code: no database writes, no session. Every refusal raises ProtocolError with a short reason
code that is safe to log (it never carries tokens, codes or claim values).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any, cast

import requests
from django.core.cache import cache
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, KeySetSerialization, RSAKey, import_key

from .models import ClientAuthMethod, IdentityProvider

HTTP_TIMEOUT = 10  # seconds, for every call to a provider
JWKS_CACHE_SECONDS = 300
CLIENT_ASSERTION_LIFETIME = 120  # seconds; the guideline asks for a short exp (≤ 5 minutes)
CLOCK_LEEWAY = 60  # seconds of clock skew tolerated on exp / iat
MAX_ID_TOKEN_AGE = 600  # an ID token issued longer ago than this is refused even if exp is later
# Asymmetric algorithms only: never "none", never HS* (a provider's client secret must not sign ID tokens).
ID_TOKEN_ALGORITHMS = ("RS256", "PS256", "ES256")
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class ProtocolError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- PKCE, state, nonce ---------------------------------------------------------------------------


def new_state() -> str:
    return secrets.token_urlsafe(32)


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def new_code_verifier() -> str:
    return secrets.token_urlsafe(64)  # 86 characters, within RFC 7636's 43–128


def code_challenge_s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


# --- Keys -----------------------------------------------------------------------------------------


def signing_algorithm_for(key: RSAKey | ECKey) -> str:
    declared = key.get("alg")
    if declared:
        return str(declared)
    if isinstance(key, ECKey):
        return {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}[key.curve_name]
    return "RS256"


def load_private_jwk(data: dict[str, Any]) -> RSAKey | ECKey:
    """Import the relying party's private key; refuses public-only and symmetric keys."""
    key = import_key(data)
    if not isinstance(key, RSAKey | ECKey) or not key.is_private:
        raise ValueError("The key must be a private RSA or EC key.")
    return key


def public_jwk(data: dict[str, Any]) -> dict[str, Any]:
    """The public half of the RP key (with kid, use, alg): what the provider registers for private_key_jwt."""
    key = load_private_jwk(data)
    key.ensure_kid()
    public = dict(key.as_dict(private=False))
    public.setdefault("use", "sig")
    public.setdefault("alg", signing_algorithm_for(key))
    return public


def client_assertion(provider: IdentityProvider, *, now: int | None = None) -> str:
    """A private_key_jwt client assertion (RFC 7523): iss = sub = client_id, aud = token endpoint."""
    jwk_data = provider.get_private_key_jwk()
    if not jwk_data:
        raise ProtocolError("client_key_missing")
    key = load_private_jwk(jwk_data)
    key.ensure_kid()
    issued = int(time.time()) if now is None else now
    claims = {
        "iss": provider.client_id,
        "sub": provider.client_id,
        "aud": provider.token_endpoint,
        "jti": uuid.uuid4().hex,
        "iat": issued,
        "exp": issued + CLIENT_ASSERTION_LIFETIME,
    }
    header = {"alg": signing_algorithm_for(key), "kid": key.kid, "typ": "JWT"}
    return jwt.encode(header, claims, key)


# --- Token endpoint -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenResponse:
    id_token: str
    access_token: str


def exchange_code(provider: IdentityProvider, *, code: str, redirect_uri: str, code_verifier: str) -> TokenResponse:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    auth: tuple[str, str] | None = None
    method = provider.client_auth_method
    if method == ClientAuthMethod.PRIVATE_KEY_JWT:
        data.update(
            client_id=provider.client_id,
            client_assertion_type=CLIENT_ASSERTION_TYPE,
            client_assertion=client_assertion(provider),
        )
    elif method == ClientAuthMethod.CLIENT_SECRET_BASIC:
        # RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
        from urllib.parse import quote

        auth = (quote(provider.client_id, safe=""), quote(provider.get_client_secret(), safe=""))
    elif method == ClientAuthMethod.CLIENT_SECRET_POST:
        data.update(client_id=provider.client_id, client_secret=provider.get_client_secret())
    else:  # pragma: no cover - excluded by a database constraint
        raise ProtocolError("client_auth_method_unknown")
    try:
        response = requests.post(
            provider.token_endpoint,
            data=data,
            auth=auth,
            headers={"Accept": "application/json"},
            timeout=HTTP_TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise ProtocolError("token_unreachable") from exc
    if response.status_code != 200:
        raise ProtocolError("token_rejected")
    try:
        body = response.json()
    except ValueError as exc:
        raise ProtocolError("token_malformed") from exc
    id_token = body.get("id_token") if isinstance(body, dict) else None
    token_type = str(body.get("token_type", "")).lower() if isinstance(body, dict) else ""
    if not isinstance(id_token, str) or not id_token:
        raise ProtocolError("token_without_id_token")
    if token_type != "bearer":  # noqa: S105 - the OAuth token type, not a password
        raise ProtocolError("token_malformed")
    access_token = body.get("access_token")
    return TokenResponse(id_token=id_token, access_token=access_token if isinstance(access_token, str) else "")


# --- JWKS and the ID token ------------------------------------------------------------------------


def _jwks_cache_key(uri: str) -> str:
    return "madoguchi:identity:jwks:" + hashlib.sha256(uri.encode()).hexdigest()


def fetch_jwks(uri: str, *, refresh: bool = False) -> KeySet:
    """The provider's signing keys, cached for a few minutes (refreshed early when an unknown kid appears)."""
    cache_key = _jwks_cache_key(uri)
    data = None if refresh else cache.get(cache_key)
    if data is None:
        try:
            response = requests.get(
                uri, headers={"Accept": "application/json"}, timeout=HTTP_TIMEOUT, allow_redirects=False
            )
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProtocolError("jwks_unreachable") from exc
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise ProtocolError("jwks_malformed")
        # Only public signature keys are kept; a JWKS that carries private parts is used for its public half.
        data = {
            "keys": [
                _public_only(k)
                for k in data["keys"]
                if isinstance(k, dict) and k.get("use", "sig") == "sig" and k.get("kty") in ("RSA", "EC")
            ]
        }
        cache.set(cache_key, data, JWKS_CACHE_SECONDS)
    try:
        return KeySet.import_key_set(cast("KeySetSerialization", data))
    except (JoseError, ValueError, KeyError) as exc:
        raise ProtocolError("jwks_malformed") from exc


_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


def _public_only(jwk_data: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in jwk_data.items() if name not in _PRIVATE_MEMBERS}


def _unverified_header(token: str) -> dict[str, Any]:
    import json

    try:
        segment = token.split(".")[0]
        padded = segment + "=" * (-len(segment) % 4)
        header = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, IndexError) as exc:
        raise ProtocolError("id_token_malformed") from exc
    if not isinstance(header, dict):
        raise ProtocolError("id_token_malformed")
    return header


def _signing_key(key_set: KeySet, kid: str | None) -> Any:
    try:
        return key_set.get_by_kid(kid)
    except JoseError:
        return None


def verify_id_token(provider: IdentityProvider, id_token: str, *, nonce: str, now: int | None = None) -> dict[str, Any]:
    """Check an ID token as OpenID Connect Core §3.1.3.7 asks; returns its claims.

    Signature (provider JWKS, asymmetric algorithms only), iss, aud (and azp when there are several
    audiences), exp, iat and nonce. Each failure has its own reason code.
    """
    header = _unverified_header(id_token)
    if header.get("alg") not in ID_TOKEN_ALGORITHMS:
        raise ProtocolError("id_token_algorithm")
    kid = header.get("kid")
    key = _signing_key(fetch_jwks(provider.jwks_uri), kid)
    if key is None:  # the provider may have rotated its keys since we cached them
        key = _signing_key(fetch_jwks(provider.jwks_uri, refresh=True), kid)
    if key is None:
        raise ProtocolError("id_token_unknown_key")
    try:
        token = jwt.decode(id_token, key, algorithms=list(ID_TOKEN_ALGORITHMS))
    except (JoseError, ValueError) as exc:
        raise ProtocolError("id_token_signature") from exc
    claims = dict(token.claims)
    now = int(time.time()) if now is None else now

    if claims.get("iss") != provider.issuer:
        raise ProtocolError("id_token_issuer")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
    if provider.client_id not in audiences:
        raise ProtocolError("id_token_audience")
    if len(audiences) > 1 and claims.get("azp") != provider.client_id:
        raise ProtocolError("id_token_audience")
    if "azp" in claims and claims["azp"] != provider.client_id:
        raise ProtocolError("id_token_audience")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        raise ProtocolError("id_token_malformed")
    if exp <= now - CLOCK_LEEWAY:
        raise ProtocolError("id_token_expired")
    if iat > now + CLOCK_LEEWAY or iat < now - MAX_ID_TOKEN_AGE:
        raise ProtocolError("id_token_issued_at")
    token_nonce = claims.get("nonce")
    if not isinstance(token_nonce, str) or not secrets.compare_digest(token_nonce, nonce):
        raise ProtocolError("id_token_nonce")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise ProtocolError("id_token_subject")
    return claims


def fetch_userinfo(provider: IdentityProvider, *, access_token: str, subject: str) -> dict[str, Any]:
    """Claims from the UserInfo endpoint; refused unless its `sub` is the ID token's (OIDC Core §5.3.2)."""
    if not access_token:
        raise ProtocolError("userinfo_no_access_token")
    try:
        response = requests.get(
            provider.userinfo_endpoint,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=HTTP_TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise ProtocolError("userinfo_unreachable") from exc
    if response.status_code != 200:
        raise ProtocolError("userinfo_rejected")
    try:
        body = response.json()
    except ValueError as exc:  # a signed (application/jwt) UserInfo response is not supported yet
        raise ProtocolError("userinfo_malformed") from exc
    if not isinstance(body, dict):
        raise ProtocolError("userinfo_malformed")
    if body.get("sub") != subject:
        raise ProtocolError("userinfo_subject_mismatch")
    return body


def discover(issuer: str) -> dict[str, str]:
    """Read a provider's discovery document (.well-known/openid-configuration) and return its endpoints.

    The document's issuer must be exactly the one asked for (OIDC Discovery §4.3).
    """
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(
            url, headers={"Accept": "application/json"}, timeout=HTTP_TIMEOUT, allow_redirects=False
        )
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProtocolError("discovery_unreachable") from exc
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        raise ProtocolError("discovery_issuer_mismatch")
    endpoints = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
        value = document.get(name)
        if isinstance(value, str):
            endpoints[name] = value
    for required in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if required not in endpoints:
            raise ProtocolError("discovery_incomplete")
    return endpoints
