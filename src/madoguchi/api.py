"""The JSON API at /api/v1/: one NinjaAPI, a router per module, one error shape for everything."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from madoguchi.core.errors import ServiceError, error_body

api = NinjaAPI(
    title="Madoguchi API",
    version="1.0.0",
    description=(
        "JSON API of Madoguchi (窓口). Errors always have the shape "
        '{"error": {"code", "message", "fields"}}; messages are Japanese unless Accept-Language: en. '
        "Writes accept an Idempotency-Key header: a replay returns the first result."
    ),
    urls_namespace="api",
    docs_url="/docs",
)


def _respond(
    request: HttpRequest, status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> HttpResponse:
    return api.create_response(request, error_body(code, message, fields), status=status)


_LOCATION_KINDS = ("body", "query", "path", "header", "form", "cookie")
_PARAMETER_GROUPS = ("payload", "page", "filters")


def _field_name(loc: list[Any]) -> str:
    """["body", "payload", "title"] → "title"; ["query", "limit"] → "limit"; a field may itself be "body"."""
    parts = [str(part) for part in loc]
    if parts and parts[0] in _LOCATION_KINDS:
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in _PARAMETER_GROUPS:
        parts = parts[1:]
    return ".".join(parts) or "__all__"


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        kind = error.get("type", "")
        if kind == "missing":
            message = _("入力してください。")
        elif kind in ("string_too_long",):
            message = _("%(max)s文字以内で入力してください。") % {"max": error.get("ctx", {}).get("max_length", "")}
        elif kind in ("string_too_short",):
            message = _("%(min)s文字以上で入力してください。") % {"min": error.get("ctx", {}).get("min_length", "")}
        elif kind.startswith("int") or kind.startswith("float"):
            message = _("数値で入力してください。")
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            message = _("範囲外の値です。")
        elif kind in ("enum", "literal_error"):
            message = _("選択肢にない値です。")
        elif kind == "json_invalid":
            message = _("JSONの形式が正しくありません。")
        elif kind == "value_error":
            message = str(error.get("ctx", {}).get("error", "")) or _("値が正しくありません。")
        else:
            message = _("値が正しくありません。")
        fields.setdefault(_field_name(list(error.get("loc", []))), []).append(message)
    return _respond(request, 422, "validation_error", _("入力内容に問題があります。"), fields)


@api.exception_handler(ServiceError)
def on_service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    fields = {exc.field: [str(exc.message)]} if exc.field else {}
    response = _respond(request, exc.status, exc.code, str(exc.message), fields)
    retry_after = getattr(exc, "retry_after", None)  # a rate limit says when to come back
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _respond(request, 404, "not_found", _("見つかりません。"))


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _respond(request, 401, "unauthenticated", _("ログインが必要です。"))


@api.exception_handler(PermissionDenied)
def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _respond(request, 403, "forbidden", _("この操作の権限がありません。"))


def status_error(status: int) -> tuple[str, str]:
    """Code and message (in the active language) for an HTTP status, for errors raised outside our code."""
    known = {
        400: ("bad_request", _("リクエストの内容を読み取れませんでした。JSONの形式を確認してください。")),
        401: ("unauthenticated", _("ログインが必要です。")),
        403: ("forbidden", _("この操作の権限がありません。")),
        404: ("not_found", _("見つかりません。")),
        405: ("method_not_allowed", _("このURLではこの操作（HTTPメソッド）は使えません。")),
        413: ("payload_too_large", _("送信された内容が大きすぎます。")),
        429: ("rate_limited", _("短時間に多くのリクエストがありました。しばらくたってから、もう一度お試しください。")),
    }
    return known.get(status, ("error", _("リクエストを処理できませんでした。")))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code, message = status_error(exc.status_code)
    return _respond(request, exc.status_code, code, message)


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    code, message = status_error(413)
    return _respond(request, 413, code, message)


@api.exception_handler(RawPostDataException)
def on_form_body(request: HttpRequest, exc: RawPostDataException) -> HttpResponse:
    # A form-encoded or multipart body sent to an endpoint that takes JSON: the CSRF check has already read it
    # as a form, so the JSON parser cannot. Say what to send instead of failing.
    return _respond(
        request,
        415,
        "unsupported_media_type",
        _("この操作には JSON（Content-Type: application/json）で送ってください。"),
    )


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    import logging

    logging.getLogger("madoguchi.api").exception("Unhandled API error (request %s)", getattr(request, "request_id", ""))
    return _respond(
        request, 500, "internal_error", _("システムでエラーが発生しました。時間をおいてもう一度お試しください。")
    )


def _register_routers() -> None:
    """Core routes, then each registered module's router (its manifest's api_router)."""
    from django.utils.module_loading import import_string

    from madoguchi.core.api import router as core_router
    from madoguchi.core.registry import registry

    api.add_router("/municipalities", core_router)
    for manifest in registry.all():
        if manifest.api_router:
            api.add_router("/municipalities", import_string(manifest.api_router))
    # Issue 6 names /api/v1/faq/ask for other channels (LINE, kiosks): the municipality goes in the body.
    if any(manifest.key == "faq" for manifest in registry.all()):
        api.add_router("/faq", import_string("madoguchi.faq.api.channel_router"))


_register_routers()
