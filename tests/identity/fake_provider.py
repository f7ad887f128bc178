"""A fake OpenID Provider for tests: a real HTTP server on 127.0.0.1 that speaks the protocol.

Endpoints: discovery, /authorize (answers at once with a redirect carrying code and state — no login page),
/token (authorization_code grant: checks redirect_uri, the PKCE verifier against the stored S256 challenge,
and client authentication by private_key_jwt — the assertion's signature with the relying party's public key,
iss, sub, aud, exp, jti — or client_secret_basic / client_secret_post), /jwks and /userinfo.

Tests choose who signs in (`login_as`) and what goes wrong (`tamper`): wrong_nonce, wrong_issuer,
wrong_audience, expired, bad_signature, unsigned, userinfo_wrong_sub; `deny` answers access_denied.
Everything it issued or received is recorded, so a test can check none of it reached the audit log.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey, import_key

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class Client:
    client_id: str
    auth_method: str  # private_key_jwt | client_secret_basic | client_secret_post
    public_jwk: dict[str, Any] | None = None
    secret: str = ""


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    nonce: str
    code_challenge: str
    subject: str
    claims: dict[str, Any]
    tamper: frozenset[str]
    used: bool = False


@dataclass
class FakeState:
    subject: str = "subject-0001"
    claims: dict[str, Any] = field(default_factory=dict)
    claims_in_id_token: bool = True
    tamper: set[str] = field(default_factory=set)
    deny: bool = False
    grants: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, Grant] = field(default_factory=dict)
    seen_jti: set[str] = field(default_factory=set)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    token_errors: list[str] = field(default_factory=list)
    jwks_requests: int = 0
    issued_secrets: list[str] = field(default_factory=list)  # codes, tokens, verifiers, assertions


class FakeOpenIDProvider:
    def __init__(self, *, signing_key: RSAKey, other_key: RSAKey):
        self.signing_key = self.original_key = signing_key
        self.other_key = other_key  # same kid, different key: for bad_signature
        self.clients: dict[str, Client] = {}
        self.state = FakeState()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- lifecycle and test controls ---------------------------------------------------------------------

    def start(self) -> FakeOpenIDProvider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.state = FakeState()
            self.clients.clear()
            self.signing_key = self.original_key

    def register_client(self, client: Client) -> None:
        with self.lock:
            self.clients[client.client_id] = client

    def login_as(self, subject: str, *, in_id_token: bool = True, **claims: Any) -> None:
        """The next /authorize signs this person in with these claims (in the ID token or only UserInfo)."""
        with self.lock:
            self.state.subject = subject
            self.state.claims = claims
            self.state.claims_in_id_token = in_id_token

    def rotate_key(self, new_key: RSAKey) -> None:
        """Start signing with a new key (new kid); /jwks publishes only the new one from now on."""
        with self.lock:
            self.signing_key = new_key

    def set_tamper(self, *names: str) -> None:
        with self.lock:
            self.state.tamper = set(names)

    @property
    def endpoints(self) -> dict[str, str]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
        }

    # --- protocol ------------------------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {
            **self.endpoints,
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "name", "address", "birthdate", "gender"],
        }

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], dict[str, Any] | None]:
        """Returns (status, headers, json body)."""
        with self.lock:
            self.state.authorize_requests.append(dict(query))
            client = self.clients.get(query.get("client_id", ""))
            redirect_uri = query.get("redirect_uri", "")
            if client is None or not redirect_uri:
                return 400, {}, {"error": "invalid_request", "error_description": "unknown client or redirect_uri"}
            state = query.get("state", "")

            def back(**params: str) -> tuple[int, dict[str, str], None]:
                separator = "&" if "?" in redirect_uri else "?"
                return 302, {"Location": f"{redirect_uri}{separator}{urlencode(params)}"}, None

            problems = [
                query.get("response_type") != "code",
                "openid" not in query.get("scope", "").split(),
                not state,
                not query.get("nonce"),
                not query.get("code_challenge"),
                query.get("code_challenge_method") != "S256",
            ]
            if any(problems):
                return back(error="invalid_request", state=state)
            if self.state.deny:
                return back(error="access_denied", state=state)
            code = secrets.token_urlsafe(24)
            self.state.grants[code] = Grant(
                client_id=client.client_id,
                redirect_uri=redirect_uri,
                nonce=query["nonce"],
                code_challenge=query["code_challenge"],
                subject=self.state.subject,
                claims=dict(self.state.claims),
                tamper=frozenset(self.state.tamper),
            )
            self.state.issued_secrets.append(code)
            return back(code=code, state=state)

    def _authenticate_client(self, form: dict[str, str], authorization: str) -> Client | None:
        if authorization.startswith("Basic "):
            try:
                decoded = base64.b64decode(authorization[6:]).decode()
            except ValueError:
                return None
            client_id, _, secret = decoded.partition(":")
            client = self.clients.get(unquote(client_id))
            if (
                client
                and client.auth_method == "client_secret_basic"
                and secrets.compare_digest(unquote(secret), client.secret)
            ):
                return client
            return None
        if "client_assertion" in form:
            if form.get("client_assertion_type") != JWT_BEARER:
                return None
            return self._verify_client_assertion(form["client_assertion"], form.get("client_id"))
        client = self.clients.get(form.get("client_id", ""))
        if (
            client
            and client.auth_method == "client_secret_post"
            and secrets.compare_digest(form.get("client_secret", ""), client.secret)
        ):
            return client
        return None

    def _verify_client_assertion(self, assertion: str, claimed_client_id: str | None) -> Client | None:
        self.state.issued_secrets.append(assertion)
        try:
            unverified = json.loads(base64.urlsafe_b64decode(assertion.split(".")[1] + "=="))
        except (ValueError, IndexError):
            return None
        client = self.clients.get(unverified.get("iss", ""))
        if client is None or client.auth_method != "private_key_jwt" or client.public_jwk is None:
            return None
        try:
            token = jwt.decode(assertion, import_key(client.public_jwk), algorithms=["RS256", "ES256", "PS256"])
        except (JoseError, ValueError):
            self.state.token_errors.append("assertion_signature")
            return None
        claims = token.claims
        now = time.time()
        checks = {
            "assertion_iss_sub": claims.get("iss") == claims.get("sub") == client.client_id,
            "assertion_aud": claims.get("aud") == self.endpoints["token_endpoint"],
            "assertion_exp": isinstance(claims.get("exp"), int) and now < claims["exp"] <= now + 300,
            "assertion_jti": bool(claims.get("jti")) and claims["jti"] not in self.state.seen_jti,
            "assertion_client_id": claimed_client_id in (None, client.client_id),
        }
        failed = [name for name, ok in checks.items() if not ok]
        if failed:
            self.state.token_errors.extend(failed)
            return None
        self.state.seen_jti.add(claims["jti"])
        return client

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.state.token_requests.append({**form, "authorization": "present" if authorization else ""})
            if form.get("code_verifier"):
                self.state.issued_secrets.append(form["code_verifier"])
            client = self._authenticate_client(form, authorization)
            if client is None:
                self.state.token_errors.append("invalid_client")
                return 401, {"error": "invalid_client"}
            if form.get("grant_type") != "authorization_code":
                self.state.token_errors.append("unsupported_grant_type")
                return 400, {"error": "unsupported_grant_type"}
            grant = self.state.grants.get(form.get("code", ""))
            if grant is None or grant.used or grant.client_id != client.client_id:
                self.state.token_errors.append("invalid_grant:code")
                return 400, {"error": "invalid_grant"}
            if form.get("redirect_uri") != grant.redirect_uri:
                self.state.token_errors.append("invalid_grant:redirect_uri")
                return 400, {"error": "invalid_grant"}
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if not verifier or not secrets.compare_digest(challenge, grant.code_challenge):
                self.state.token_errors.append("invalid_grant:pkce")
                return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
            grant.used = True
            access_token = secrets.token_urlsafe(32)
            self.state.access_tokens[access_token] = grant
            id_token = self._id_token(grant)
            self.state.issued_secrets.extend([access_token, id_token])
            return 200, {"access_token": access_token, "token_type": "Bearer", "expires_in": 3600, "id_token": id_token}

    def _id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": grant.subject,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 300,
            "auth_time": now,
            "nonce": grant.nonce,
            "acr": "aal3 crl",
        }
        if self.state.claims_in_id_token:
            claims.update(grant.claims)
        tamper = grant.tamper
        if "wrong_nonce" in tamper:
            claims["nonce"] = "nonce-from-another-login"
        if "wrong_issuer" in tamper:
            claims["iss"] = "https://evil.example/"
        if "wrong_audience" in tamper:
            claims["aud"] = "RP99999999"
        if "expired" in tamper:
            claims["iat"], claims["exp"] = now - 400, now - 300
        if "unsigned" in tamper:
            header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
            body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
            return f"{header}.{body}."
        key = self.other_key if "bad_signature" in tamper else self.signing_key
        return jwt.encode({"alg": "RS256", "kid": self.signing_key.kid, "typ": "JWT"}, claims, key)

    def userinfo(self, authorization: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            grant = self.state.access_tokens.get(authorization.removeprefix("Bearer ").strip())
            if not authorization.startswith("Bearer ") or grant is None:
                return 401, {"error": "invalid_token"}
            subject = "someone-else" if "userinfo_wrong_sub" in grant.tamper else grant.subject
            return 200, {"sub": subject, **grant.claims}

    def jwks(self) -> dict[str, Any]:
        with self.lock:
            self.state.jwks_requests += 1
        public = dict(self.signing_key.as_dict(private=False))
        public.update(use="sig", alg="RS256")
        return {"keys": [public]}


def _handler_for(op: FakeOpenIDProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

        def _send(self, status: int, body: dict[str, Any] | None, headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(body or {}).encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/.well-known/openid-configuration":
                self._send(200, op.discovery())
            elif parts.path == "/authorize":
                status, headers, body = op.authorize(query)
                self._send(status, body, headers)
            elif parts.path == "/jwks":
                self._send(200, op.jwks())
            elif parts.path == "/userinfo":
                status, body = op.userinfo(self.headers.get("Authorization", ""))
                self._send(status, body)
            else:
                self._send(404, {"error": "not_found"})

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length).decode()
            if parts.path != "/token":
                self._send(404, {"error": "not_found"})
                return
            if not self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                self._send(400, {"error": "invalid_request"})
                return
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            status, body = op.token(form, self.headers.get("Authorization", ""))
            self._send(status, body)

    return Handler


def new_signing_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


def new_rp_key(kind: str = "EC") -> ECKey | RSAKey:
    if kind == "EC":
        return ECKey.generate_key("P-256", parameters={"kid": "rp-key-1", "use": "sig", "alg": "ES256"})
    return RSAKey.generate_key(2048, parameters={"kid": "rp-rsa-1", "use": "sig", "alg": "RS256"})
