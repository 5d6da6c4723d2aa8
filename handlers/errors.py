"""Domain errors -> HTTP, in one place.

Chalice turns any exception escaping a view into a 500 before middleware sees it, so views are declared
with `route(...)` below, which maps a DomainError to its 4xx answer right around the view.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from chalice import Blueprint, Response

from chalicelib.domain.errors import (
    DomainError,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    NotPermitted,
    TooLarge,
    TooManyAttempts,
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
    TooManyAttempts: 429,
}


def status_of(error: DomainError) -> int:
    """The HTTP status of a domain error (the JSON API and the officer pages answer alike)."""
    return next((code for kind, code in STATUS_CODES.items() if isinstance(error, kind)), 400)


def error_response(error: DomainError) -> Response:
    status = status_of(error)
    body = {"error": {"code": error.code, "message": error.message, "details": _jsonable(error.details)}}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if status == 429:
        headers["Retry-After"] = str(error.details.get("retry_after", 60))
    return Response(body=body, status_code=status, headers=headers)


def route(blueprint: Blueprint, path: str, **options) -> Callable:
    """`blueprint.route(path, **options)` whose view answers a DomainError with its clear 4xx JSON."""

    def register(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except DomainError as error:
                return error_response(error)

        blueprint.route(path, **options)(guarded)
        return guarded

    return register


def _jsonable(details: dict) -> dict:
    return {k: v if isinstance(v, str | int | float | bool | None) else str(v) for k, v in details.items()}
