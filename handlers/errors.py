"""Domain errors -> HTTP, in one place (registered as Chalice middleware in app.py)."""

from __future__ import annotations

from chalice import Response

from chalicelib.domain.errors import (
    DomainError,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    NotPermitted,
    TooLarge,
    ValidationFailed,
    VersionConflict,
)

STATUS_CODES: dict[type[DomainError], int] = {
    TooLarge: 413,  # before its base class ValidationFailed
    ValidationFailed: 400,
    NotAuthenticated: 401,
    NotPermitted: 403,
    NotFound: 404,
    InvalidTransition: 409,
    VersionConflict: 409,
}


def error_response(error: DomainError) -> Response:
    status = next((code for kind, code in STATUS_CODES.items() if isinstance(error, kind)), 400)
    body = {"error": {"code": error.code, "message": error.message, "details": _jsonable(error.details)}}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return Response(body=body, status_code=status, headers=headers)


def domain_errors_as_http(event, get_response):
    """Chalice HTTP middleware: a DomainError anywhere below a view becomes a clear 4xx JSON answer."""
    try:
        return get_response(event)
    except DomainError as error:
        return error_response(error)


def _jsonable(details: dict) -> dict:
    return {k: v if isinstance(v, str | int | float | bool | None) else str(v) for k, v in details.items()}
