"""Domain errors -> HTTP, in one place.

Chalice turns any exception escaping a view into a 500 before middleware sees it, so views are declared
with `route(...)` below, which maps a DomainError to its 4xx answer right around the view. Every error a
client gets has one shape: `{"error": {"code", "message", "details"}}` — including the framework's own
405/415 answers, which `framework_error_body` rewrites.
"""

from __future__ import annotations

import functools
import re
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

# Input that no parser rejected but that Python cannot process as text or within its stack: a lone surrogate
# reaching .encode() (a URL, a hash, a DynamoDB key) or nesting past the recursion limit. Always the client's
# doing, so a 400 rather than a 500; json_body and the form parser refuse most of it earlier.
UNREADABLE_INPUT = (UnicodeError, RecursionError)
UNREADABLE_MESSAGE = "Permintaan memuat teks atau susunan yang tidak dapat dibaca."

FRAMEWORK_ERRORS: dict[str, tuple[str, str]] = {  # Chalice's own error codes -> ours, in the officer's words
    "MethodNotAllowedError": ("method_not_allowed", "Metode permintaan ini tidak didukung di alamat ini."),
    "UnsupportedMediaType": ("unsupported_media_type", "Jenis isi permintaan (Content-Type) tidak didukung."),
    "BadRequest": ("bad_request", "Permintaan tidak dapat diproses: periksa header Accept."),
    "BadRequestError": ("bad_request", "Permintaan tidak dapat diproses."),
    "InternalServerError": ("internal_error", "Terjadi kesalahan pada server. Silakan coba lagi."),
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


def unreadable_input(error: Exception) -> ValidationFailed:
    """The 400 for input Python could not process (see UNREADABLE_INPUT); logged without the input itself."""
    from chalicelib.observability import logger  # the redacting logger (never personal data in logs)

    logger.warning("unreadable input refused", extra={"error_type": type(error).__name__})
    return ValidationFailed(UNREADABLE_MESSAGE)


def route(blueprint: Blueprint, path: str, **options) -> Callable:
    """`blueprint.route(path, **options)` whose view answers a DomainError with its clear 4xx JSON."""

    def register(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            try:
                check_path_parameters(kwargs)
                return view(*args, **kwargs)
            except DomainError as error:
                return error_response(error)
            except UNREADABLE_INPUT as error:
                return error_response(unreadable_input(error))

        blueprint.route(path, **options)(guarded)
        return guarded

    return register


def check_path_parameters(params: dict) -> None:
    """A blank path parameter (`/api/cases/%20`) names nothing: 404 here, since DynamoDB refuses an empty key
    (a ValidationException, i.e. a 500, on AWS and dynalite; moto lets it pass)."""
    if any(not str(value).strip() for value in params.values()):
        raise NotFound("Alamat ini tidak menunjuk apa pun.")


def framework_error_body(event, get_response: Callable) -> Response:
    """HTTP middleware: the framework's own errors (405, 415, the 500 of an unexpected exception) in our error
    shape, so clients parse one body whatever answered. Registered app-wide (see handlers/health.py)."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}:
        code, message = FRAMEWORK_ERRORS.get(str(body["Code"]), (_snake(str(body["Code"])), str(body["Message"])))
        response.body = {"error": {"code": code, "message": message, "details": {}}}
        response.headers = {**response.headers, "Content-Type": "application/json"}
    return response


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name.removesuffix("Error")).lower() or "error"


def _jsonable(details: dict) -> dict:
    return {k: v if isinstance(v, str | int | float | bool | None) else str(v) for k, v in details.items()}
