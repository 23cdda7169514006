"""Exceptions raised by the Seam client, and how a failed response maps to them."""

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
import math
from typing import Any

# --------------------------------------------------------------------------------------------
# Exceptions
# --------------------------------------------------------------------------------------------


class SeamError(Exception):
    """Base class for every error raised by the client."""

    def __init__(
        self, message: str, *, request_id: str | None = None, error_type: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.request_id = request_id
        self.error_type = error_type


class SeamConnectionError(SeamError):
    """Seam could not be reached or answered with a server error or an unreadable body."""


class SeamResponseError(SeamError):
    """Seam answered with a resource the client cannot use (e.g. it lacks its id)."""


class SeamAuthError(SeamError):
    """The API key was rejected (HTTP 401)."""


class SeamNotFoundError(SeamError):
    """The requested resource does not exist (HTTP 404)."""


class SeamConflictError(SeamError):
    """The request conflicts with existing state (HTTP 409), e.g. a duplicate access code."""


class SeamInvalidInputError(SeamError):
    """Seam rejected the request's input (HTTP 400)."""

    def __init__(
        self,
        message: str,
        *,
        request_id: str | None = None,
        error_type: str | None = None,
        validation_errors: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, request_id=request_id, error_type=error_type)
        self.validation_errors = validation_errors


class SeamRateLimitError(SeamError):
    """Too many requests (HTTP 429); ``retry_after`` is in seconds when Seam said so."""

    def __init__(
        self,
        message: str,
        *,
        request_id: str | None = None,
        error_type: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id, error_type=error_type)
        self.retry_after = retry_after


class SeamActionAttemptError(SeamError):
    """An action attempt (lock, unlock, delete code, ...) finished with status ``error``."""

    def __init__(
        self,
        message: str,
        *,
        action_attempt_id: str,
        error_type: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id, error_type=error_type)
        self.action_attempt_id = action_attempt_id


class SeamActionAttemptTimeoutError(SeamError):
    """An action attempt was still pending when the caller's timeout passed."""

    def __init__(self, message: str, *, action_attempt_id: str) -> None:
        super().__init__(message)
        self.action_attempt_id = action_attempt_id


# --------------------------------------------------------------------------------------------
# Error mapping
# --------------------------------------------------------------------------------------------

_STATUS_ERRORS: dict[int, type[SeamError]] = {
    HTTPStatus.BAD_REQUEST: SeamInvalidInputError,
    HTTPStatus.UNAUTHORIZED: SeamAuthError,
    HTTPStatus.NOT_FOUND: SeamNotFoundError,
    HTTPStatus.CONFLICT: SeamConflictError,
    HTTPStatus.TOO_MANY_REQUESTS: SeamRateLimitError,
}

_TYPE_ERRORS: dict[str, type[SeamError]] = {
    "invalid_input": SeamInvalidInputError,
    "unauthorized": SeamAuthError,
    "not_found": SeamNotFoundError,
    "duplicate_access_code": SeamConflictError,
    "rate_limited": SeamRateLimitError,
    "rate_limit_exceeded": SeamRateLimitError,
    "too_many_requests": SeamRateLimitError,
}


def error_class(status: int, error_type: str | None) -> type[SeamError]:
    """Pick the exception class for a failed response."""
    if status in _STATUS_ERRORS:
        return _STATUS_ERRORS[status]
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return SeamConnectionError
    if error_type is not None:
        if error_type in _TYPE_ERRORS:
            return _TYPE_ERRORS[error_type]
        if error_type.endswith("_not_found"):
            return SeamNotFoundError
    # Other 4xx: a plain SeamError; a 2xx/3xx that is not a success: treat as transport trouble.
    return SeamError if status >= HTTPStatus.BAD_REQUEST else SeamConnectionError


def flatten_validation_errors(value: Any, path: str = "") -> list[str]:
    """Flatten Seam's (zod-formatted) ``validation_errors`` into ``"field: message"`` strings."""
    messages: list[str] = []
    if isinstance(value, str):
        messages.append(f"{path}: {value}" if path else value)
    elif isinstance(value, list):
        for item in value:
            messages.extend(flatten_validation_errors(item, path))
    elif isinstance(value, dict):
        for key, item in value.items():
            child = path if key == "_errors" else (f"{path}.{key}" if path else str(key))
            messages.extend(flatten_validation_errors(item, child))
    return messages


def parse_retry_after(value: str | None) -> float | None:
    """Parse a Retry-After header: delay in seconds or an HTTP date."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
