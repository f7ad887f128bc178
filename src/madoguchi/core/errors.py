"""One error shape for the whole platform.

Services raise ServiceError (a business rule said no); forms show it at the field it names; the JSON API
renders every error as {"error": {"code", "message", "fields": {...}}} in the caller's language.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.functional import Promise


class ServiceError(Exception):
    def __init__(self, code: str, message: str | Promise, *, field: str | None = None, status: int = 400):
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.field = field
        self.status = status

    def as_dict(self) -> dict[str, Any]:
        fields = {self.field: [str(self.message)]} if self.field else {}
        return error_body(self.code, str(self.message), fields)


def service_error_from_validation(exc: ValidationError) -> ServiceError:
    """The first problem of a model's full_clean(), as a ServiceError at the field it concerns."""
    if hasattr(exc, "error_dict"):
        field, errors = next(iter(exc.error_dict.items()))
        return ServiceError("invalid", errors[0].messages[0], field=None if field == NON_FIELD_ERRORS else field)
    return ServiceError("invalid", exc.messages[0])


def full_clean_or_refuse(instance: Any, **options: Any) -> None:
    """Validate a model instance (fields and database constraints) or raise a ServiceError. `options` go to
    `full_clean` (e.g. `exclude`, `validate_constraints=False` where the database check is the one that counts)."""
    try:
        instance.full_clean(**options)
    except ValidationError as exc:
        raise service_error_from_validation(exc) from exc


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def apply_service_error(form: Any, error: ServiceError) -> None:
    """Put a service's refusal on the form field it concerns (or the form as a whole)."""
    field = error.field if error.field in getattr(form, "fields", {}) else None
    form.add_error(field, str(error.message))
