"""Domain errors: each carries a machine-readable code and an Indonesian message for the officer.

They are mapped to HTTP in one place (`handlers/errors.py`), so services and the domain never speak HTTP.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationFailed(DomainError):
    """The request is malformed or incomplete (HTTP 400)."""

    code = "validation_failed"


class TooLarge(ValidationFailed):
    """The request body exceeds what the endpoint accepts (HTTP 413)."""

    code = "payload_too_large"


class NotAuthenticated(DomainError):
    """No valid officer session (HTTP 401)."""

    code = "not_authenticated"


class NotPermitted(DomainError):
    """The actor's role or agency may not do this to this case (HTTP 403)."""

    code = "forbidden"


class NotFound(DomainError):
    """No such case, agency, category or officer — or one the actor may not know exists (HTTP 404)."""

    code = "not_found"


class InvalidTransition(DomainError):
    """The action is not allowed from the case's current state (HTTP 409)."""

    code = "invalid_transition"


class VersionConflict(DomainError):
    """Someone else changed the case since the actor read it (HTTP 409): reload and try again."""

    code = "version_conflict"


class TooManyAttempts(DomainError):
    """Too many failed tries (sign-in, codes): wait before trying again (HTTP 429)."""

    code = "too_many_attempts"
