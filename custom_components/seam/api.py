"""Async client for the Seam HTTP API.

A small library layer with no Home Assistant imports. Every call is a POST with a JSON body
over an injected ``aiohttp.ClientSession``. Responses are parsed into frozen, hashable models
that keep only the fields the integration uses and tolerate unknown, missing or odd fields.

Secrets never leave this module in a log line or an exception message: the API key, access
code PINs and connect webview URLs (which carry an ``auth_token``) are kept out of both.
"""

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
import logging
import math
import re
import time
from typing import Any, Self

import aiohttp
import orjson

_LOGGER = logging.getLogger(__name__)

DEFAULT_API_URL = "https://connect.getseam.com"
PAGE_SIZE = 500
_MAX_PAGES = 1000
_REQUEST_ID_HEADER = "seam-request-id"
_AUTH_TOKEN_RE = re.compile(r"(auth_token=)[^&\s\"'<>]+", re.IGNORECASE)
_REDACTED = "**REDACTED**"

ACTION_STATUS_SUCCESS = "success"
ACTION_STATUS_ERROR = "error"


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
# Parsing helpers: each returns None (or a default) for a missing or wrongly typed value.
# --------------------------------------------------------------------------------------------


def _get_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _get_bool(data: Mapping[str, Any], key: str) -> bool | None:
    value = data.get(key)
    return value if isinstance(value, bool) else None


def _get_int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _get_float(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _get_dict(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _get_list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return value if isinstance(value, list) else []


def _get_datetime(data: Mapping[str, Any], key: str) -> datetime | None:
    value = data.get(key)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _require_id(data: Any, key: str, model: str) -> str:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, str) or not value:
        raise SeamResponseError(f"Seam returned a {model} without {key}")
    return value


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Workspace:
    """A Seam workspace."""

    workspace_id: str
    name: str
    is_sandbox: bool

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Self:
        """Build from a Seam API object, tolerating unknown, missing or odd fields."""
        workspace_id = _require_id(data, "workspace_id", "workspace")
        return cls(
            workspace_id=workspace_id,
            name=_get_str(data, "name") or workspace_id,
            is_sandbox=_get_bool(data, "is_sandbox") is True,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SeamIssue:
    """An error or warning on a device, access code or connected account.

    ``code`` is Seam's ``error_code`` (errors) or ``warning_code`` (warnings).
    """

    code: str
    message: str
    created_at: datetime | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Self:
        """Build from a Seam API object, tolerating unknown, missing or odd fields."""
        return cls(
            code=_get_str(data, "error_code") or _get_str(data, "warning_code") or "unknown",
            message=_get_str(data, "message") or "",
            created_at=_get_datetime(data, "created_at"),
        )


def _parse_issues(items: Any) -> tuple[SeamIssue, ...]:
    if not isinstance(items, list):
        return ()
    return tuple(SeamIssue.from_api(item) for item in items if isinstance(item, dict))


@dataclass(frozen=True, slots=True, kw_only=True)
class Device:
    """A device (typically a lock) as listed by ``devices/list``."""

    device_id: str
    device_type: str
    display_name: str
    connected_account_id: str
    workspace_id: str
    can_remotely_lock: bool
    can_remotely_unlock: bool
    can_program_online_access_codes: bool
    online: bool | None
    locked: bool | None
    door_open: bool | None
    battery_level: float | None
    battery_status: str | None
    model: str | None
    manufacturer: str | None
    serial_number: str | None
    supported_code_lengths: tuple[int, ...]
    max_active_codes_supported: int | None
    errors: tuple[SeamIssue, ...]
    warnings: tuple[SeamIssue, ...]

    @property
    def is_lock(self) -> bool:
        """Whether the device is a lock (judged from its state, not capabilities_supported)."""
        return self.locked is not None or self.can_remotely_lock or self.can_remotely_unlock

    @property
    def is_salto(self) -> bool:
        """Whether the device is a Salto lock."""
        return self.device_type.startswith("salto")

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Self:
        """Build from a Seam API object, tolerating unknown, missing or odd fields."""
        device_id = _require_id(data, "device_id", "device")
        props = _get_dict(data, "properties")
        battery = _get_dict(props, "battery")
        model = _get_dict(props, "model")
        battery_level = _get_float(props, "battery_level")
        if battery_level is None:
            battery_level = _get_float(battery, "level")
        lock_id = _get_str(_get_dict(props, "salto_ks_metadata"), "lock_id")
        if lock_id is None:
            lock_id = _get_str(_get_dict(props, "salto_metadata"), "lock_id")
        return cls(
            device_id=device_id,
            device_type=_get_str(data, "device_type") or "",
            display_name=(_get_str(data, "display_name") or _get_str(props, "name") or device_id),
            connected_account_id=_get_str(data, "connected_account_id") or "",
            workspace_id=_get_str(data, "workspace_id") or "",
            can_remotely_lock=_get_bool(data, "can_remotely_lock") is True,
            can_remotely_unlock=_get_bool(data, "can_remotely_unlock") is True,
            can_program_online_access_codes=(
                _get_bool(data, "can_program_online_access_codes") is True
            ),
            online=_get_bool(props, "online"),
            locked=_get_bool(props, "locked"),
            door_open=_get_bool(props, "door_open"),
            battery_level=battery_level,
            battery_status=_get_str(battery, "status"),
            model=_get_str(model, "display_name"),
            manufacturer=(
                _get_str(model, "manufacturer_display_name") or _get_str(props, "manufacturer")
            ),
            serial_number=lock_id,
            supported_code_lengths=tuple(
                length
                for length in _get_list(props, "supported_code_lengths")
                if isinstance(length, int) and not isinstance(length, bool)
            ),
            max_active_codes_supported=_get_int(props, "max_active_codes_supported"),
            errors=_parse_issues(data.get("errors")),
            warnings=_parse_issues(data.get("warnings")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionAttempt:
    """An asynchronous action (lock, unlock, delete access code, ...)."""

    action_attempt_id: str
    action_type: str
    status: str
    error_type: str | None
    error_message: str | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Self:
        """Build from a Seam API object, tolerating unknown, missing or odd fields."""
        error = _get_dict(data, "error")
        return cls(
            action_attempt_id=_require_id(data, "action_attempt_id", "action attempt"),
            action_type=_get_str(data, "action_type") or "",
            status=_get_str(data, "status") or "unknown",
            error_type=_get_str(error, "type"),
            error_message=_get_str(error, "message"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessCode:
    """An access code (PIN) on a device. ``repr()`` never shows the code."""

    access_code_id: str
    device_id: str
    name: str
    code: str | None = field(repr=False)
    type: str
    status: str
    starts_at: datetime | None
    ends_at: datetime | None
    is_waiting_for_code_assignment: bool
    created_at: datetime | None
    errors: tuple[SeamIssue, ...]
    warnings: tuple[SeamIssue, ...]

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Self:
        """Build from a Seam API object, tolerating unknown, missing or odd fields."""
        starts_at = _get_datetime(data, "starts_at")
        ends_at = _get_datetime(data, "ends_at")
        default_type = "time_bound" if starts_at or ends_at else "ongoing"
        return cls(
            access_code_id=_require_id(data, "access_code_id", "access code"),
            device_id=_get_str(data, "device_id") or "",
            name=_get_str(data, "name") or "",
            code=_get_str(data, "code"),
            type=_get_str(data, "type") or default_type,
            status=_get_str(data, "status") or "unknown",
            starts_at=starts_at,
            ends_at=ends_at,
            is_waiting_for_code_assignment=(
                _get_bool(data, "is_waiting_for_code_assignment") is True
            ),
            created_at=_get_datetime(data, "created_at"),
            errors=_parse_issues(data.get("errors")),
            warnings=_parse_issues(data.get("warnings")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectWebview:
    """A Connect Webview. ``url`` carries an auth token: it is hidden from ``repr()``."""

    connect_webview_id: str
    url: str = field(repr=False)
    status: str
    login_successful: bool
    connected_account_id: str | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Self:
        """Build from a Seam API object, tolerating unknown, missing or odd fields."""
        return cls(
            connect_webview_id=_require_id(data, "connect_webview_id", "connect webview"),
            url=_get_str(data, "url") or "",
            status=_get_str(data, "status") or "unknown",
            login_successful=_get_bool(data, "login_successful") is True,
            connected_account_id=_get_str(data, "connected_account_id"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectedAccount:
    """A provider account (e.g. Salto KS) connected to the workspace."""

    connected_account_id: str
    account_type: str | None
    user_identifier: str | None
    errors: tuple[SeamIssue, ...]
    warnings: tuple[SeamIssue, ...]

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Self:
        """Build from a Seam API object, tolerating unknown, missing or odd fields."""
        identifier = _get_dict(data, "user_identifier")
        return cls(
            connected_account_id=_require_id(data, "connected_account_id", "connected account"),
            account_type=_get_str(data, "account_type") or _get_str(data, "provider"),
            user_identifier=_get_str(identifier, "email") or _get_str(identifier, "username"),
            errors=_parse_issues(data.get("errors")),
            warnings=_parse_issues(data.get("warnings")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """A workspace event (lock.locked, access_code.set, ...)."""

    event_id: str
    event_type: str
    device_id: str | None
    access_code_id: str | None
    method: str | None
    occurred_at: datetime | None
    created_at: datetime | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Self:
        """Build from a Seam API object, tolerating unknown, missing or odd fields."""
        return cls(
            event_id=_require_id(data, "event_id", "event"),
            event_type=_get_str(data, "event_type") or "",
            device_id=_get_str(data, "device_id"),
            access_code_id=_get_str(data, "access_code_id"),
            method=_get_str(data, "method"),
            occurred_at=_get_datetime(data, "occurred_at"),
            created_at=_get_datetime(data, "created_at"),
        )


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


def _error_class(status: int, error_type: str | None) -> type[SeamError]:
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


def _flatten_validation_errors(value: Any, path: str = "") -> list[str]:
    """Flatten Seam's (zod-formatted) ``validation_errors`` into ``"field: message"`` strings."""
    messages: list[str] = []
    if isinstance(value, str):
        messages.append(f"{path}: {value}" if path else value)
    elif isinstance(value, list):
        for item in value:
            messages.extend(_flatten_validation_errors(item, path))
    elif isinstance(value, dict):
        for key, item in value.items():
            child = path if key == "_errors" else (f"{path}.{key}" if path else str(key))
            messages.extend(_flatten_validation_errors(item, child))
    return messages


def _parse_retry_after(value: str | None) -> float | None:
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


def _isoformat(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("Seam needs timezone-aware datetimes")
    return value.isoformat()


# --------------------------------------------------------------------------------------------
# Client
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _ResponseMemo:
    """The bytes and decoded body of the latest successful answer to one repeated request."""

    raw: bytes | None = None
    data: dict[str, Any] = field(default_factory=dict)


class SeamClient:
    """Async client for the Seam API over an injected aiohttp session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        *,
        base_url: str = DEFAULT_API_URL,
        request_timeout: float = 10.0,
    ) -> None:
        self._session = session
        self._api_key = api_key
        self._base_url = base_url.rstrip("/")
        self._request_timeout = request_timeout
        # list_devices(): the latest answer per page, and per device id its API object and model.
        self._device_pages: list[_ResponseMemo] = []
        self._devices: dict[str, tuple[dict[str, Any], Device]] = {}

    # ---- transport ------------------------------------------------------------------------

    def _redact(self, text: str, secrets: Iterable[str | None] = ()) -> str:
        """Remove the API key, request secrets (PINs) and auth tokens from ``text``."""
        for secret in (self._api_key, *secrets):
            if secret:
                text = text.replace(secret, _REDACTED)
        return _AUTH_TOKEN_RE.sub(rf"\1{_REDACTED}", text)

    async def _request(
        self,
        path: str,
        payload: Mapping[str, Any] | None = None,
        *,
        request_timeout: float | None = None,
        memo: _ResponseMemo | None = None,
    ) -> dict[str, Any]:
        """POST ``payload`` to ``path`` and return the decoded success body.

        With a ``memo`` of an earlier success of the same request: a byte-for-byte identical
        response returns that decoded body (the same objects) without decoding it again.
        """
        body = dict(payload or {})
        total = self._request_timeout if request_timeout is None else request_timeout
        started = time.monotonic()
        try:
            async with self._session.post(
                f"{self._base_url}/{path}",
                json=body,
                headers={"Authorization": f"Bearer {self._api_key}"},
                timeout=aiohttp.ClientTimeout(total=total),
                allow_redirects=False,
            ) as response:
                status = response.status
                headers = response.headers
                raw = await response.read()
        except TimeoutError as err:
            _LOGGER.debug("POST /%s timed out after %.3fs", path, time.monotonic() - started)
            raise SeamConnectionError(f"Timeout while calling Seam /{path}") from err
        except aiohttp.ClientError as err:
            _LOGGER.debug(
                "POST /%s failed after %.3fs: %s",
                path,
                time.monotonic() - started,
                type(err).__name__,
            )
            message = self._redact(f"Error calling Seam /{path}: {type(err).__name__}: {err}")
            raise SeamConnectionError(message) from err
        _LOGGER.debug("POST /%s -> %s in %.3fs", path, status, time.monotonic() - started)

        ok = HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES
        if ok and memo is not None and memo.raw == raw:
            return memo.data
        try:
            data: Any = orjson.loads(raw) if raw else None
        except ValueError:
            data = None
        if ok and isinstance(data, dict) and data.get("ok") is not False:
            if memo is not None:
                memo.raw, memo.data = raw, data
            return data
        if ok and not isinstance(data, dict):
            raise SeamConnectionError(
                f"Malformed response from Seam /{path} (HTTP {status})",
                request_id=headers.get(_REQUEST_ID_HEADER),
            )
        raise self._error_from_response(path, status, data, headers, body)

    def _error_from_response(
        self,
        path: str,
        status: int,
        data: Any,
        headers: Mapping[str, str],
        body: Mapping[str, Any],
    ) -> SeamError:
        request_id = headers.get(_REQUEST_ID_HEADER)
        error = _get_dict(data, "error") if isinstance(data, dict) else {}
        error_type = _get_str(error, "type")
        secrets = [body.get("code")] if isinstance(body.get("code"), str) else []
        seam_message = _get_str(error, "message")
        if error_type or seam_message:
            message = f"{error_type or 'error'}: {seam_message or 'no message'}"
        else:
            message = f"HTTP {status}"
        message = self._redact(f"Seam /{path} failed: {message}", secrets)
        error_class = _error_class(status, error_type)
        if error_class is SeamInvalidInputError:
            validation = tuple(
                self._redact(item, secrets)
                for item in _flatten_validation_errors(error.get("validation_errors"))
            )
            return SeamInvalidInputError(
                message, request_id=request_id, error_type=error_type, validation_errors=validation
            )
        if error_class is SeamRateLimitError:
            return SeamRateLimitError(
                message,
                request_id=request_id,
                error_type=error_type,
                retry_after=_parse_retry_after(headers.get("Retry-After")),
            )
        return error_class(message, request_id=request_id, error_type=error_type)

    async def _get_resource(
        self,
        path: str,
        key: str,
        payload: Mapping[str, Any] | None = None,
        *,
        request_timeout: float | None = None,
    ) -> dict[str, Any]:
        """POST and return the object under ``key`` in the response."""
        data = await self._request(path, payload, request_timeout=request_timeout)
        resource = data.get(key)
        if not isinstance(resource, dict):
            raise SeamConnectionError(f"Malformed response from Seam /{path}: no {key}")
        return resource

    async def _get_list(
        self,
        path: str,
        key: str,
        payload: Mapping[str, Any] | None = None,
        *,
        memo: _ResponseMemo | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """POST and return the list under ``key`` plus the response's ``pagination``."""
        data = await self._request(path, payload, memo=memo)
        items = data.get(key)
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise SeamConnectionError(f"Malformed response from Seam /{path}: no {key} list")
        return items, _get_dict(data, "pagination")

    async def _get_all_pages(
        self,
        path: str,
        key: str,
        payload: Mapping[str, Any] | None = None,
        *,
        memos: list[_ResponseMemo] | None = None,
    ) -> list[dict[str, Any]]:
        """Follow ``next_page_cursor`` until ``has_next_page`` is false.

        ``memos`` (one per page, kept by the caller) lets unchanged pages skip decoding.
        """
        body = {**(payload or {}), "limit": PAGE_SIZE}
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        for index in range(_MAX_PAGES):
            memo = None
            if memos is not None:
                if index == len(memos):
                    memos.append(_ResponseMemo())
                memo = memos[index]
            page, pagination = await self._get_list(path, key, body, memo=memo)
            items.extend(page)
            if pagination.get("has_next_page") is not True:
                if memos is not None:
                    del memos[index + 1 :]
                return items
            cursor = _get_str(pagination, "next_page_cursor")
            if not cursor or cursor in seen:
                raise SeamConnectionError(f"Malformed pagination from Seam /{path}")
            seen.add(cursor)
            body["page_cursor"] = cursor
        raise SeamConnectionError(f"Too many pages from Seam /{path}")

    async def _run_action(
        self, path: str, payload: Mapping[str, Any], wait: float, poll_interval: float
    ) -> ActionAttempt:
        """POST an action, then poll its action attempt until it is final or ``wait`` s passed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        attempt = ActionAttempt.from_api(await self._get_resource(path, "action_attempt", payload))
        last_error: SeamError | None = None
        while attempt.status not in (ACTION_STATUS_SUCCESS, ACTION_STATUS_ERROR):
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise SeamActionAttemptTimeoutError(
                    f"Seam action {attempt.action_type or path} still {attempt.status} "
                    f"after {wait:g}s",
                    action_attempt_id=attempt.action_attempt_id,
                ) from last_error
            await asyncio.sleep(min(poll_interval, remaining))
            remaining = max(deadline - loop.time(), 0.001)
            try:
                data = await self._get_resource(
                    "action_attempts/get",
                    "action_attempt",
                    {"action_attempt_id": attempt.action_attempt_id},
                    request_timeout=min(self._request_timeout, remaining),
                )
            except (SeamConnectionError, SeamRateLimitError) as err:
                # The action was sent; a transient polling failure is not its outcome.
                last_error = err
                continue
            attempt = ActionAttempt.from_api(data)
        if attempt.status == ACTION_STATUS_ERROR:
            raise SeamActionAttemptError(
                self._redact(
                    f"Seam action {attempt.action_type or path} failed: "
                    f"{attempt.error_type or 'error'}: {attempt.error_message or 'no message'}"
                ),
                action_attempt_id=attempt.action_attempt_id,
                error_type=attempt.error_type,
            )
        return attempt

    # ---- public API -----------------------------------------------------------------------

    async def get_workspace(self) -> Workspace:
        """Return the workspace the API key belongs to."""
        return Workspace.from_api(await self._get_resource("workspaces/get", "workspace"))

    async def list_devices(self) -> list[Device]:
        """Return every device in the workspace (all pages, 500 per request).

        A page whose response is byte for byte the one of the previous call is not decoded
        again, and a device whose API object did not change is not parsed again: it is returned
        as the same ``Device`` object. A poll of unchanged locks costs the requests and a byte
        comparison per page; a changed page costs its decoding and parsing its changed devices.
        """
        items = await self._get_all_pages("devices/list", "devices", memos=self._device_pages)
        previous, self._devices = self._devices, {}
        devices: list[Device] = []
        for item in items:
            device_id = item.get("device_id")
            cached = previous.get(device_id) if isinstance(device_id, str) else None
            # Identity makes this cheap for a page returned from its memo; otherwise only the
            # devices whose API object changed are parsed again.
            if cached is None or cached[0] != item:
                cached = (item, Device.from_api(item))
            self._devices[cached[1].device_id] = cached
            devices.append(cached[1])
        return devices

    async def get_device(self, device_id: str) -> Device:
        """Return one device."""
        data = await self._get_resource("devices/get", "device", {"device_id": device_id})
        return Device.from_api(data)

    async def lock_door(
        self,
        device_id: str,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - public API name
        poll_interval: float = 0.5,
    ) -> ActionAttempt:
        """Lock a door and wait for the action attempt to succeed."""
        return await self._run_action(
            "locks/lock_door", {"device_id": device_id}, timeout, poll_interval
        )

    async def unlock_door(
        self,
        device_id: str,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - public API name
        poll_interval: float = 0.5,
    ) -> ActionAttempt:
        """Unlock a door and wait for the action attempt to succeed."""
        return await self._run_action(
            "locks/unlock_door", {"device_id": device_id}, timeout, poll_interval
        )

    async def get_action_attempt(self, action_attempt_id: str) -> ActionAttempt:
        """Return one action attempt."""
        data = await self._get_resource(
            "action_attempts/get", "action_attempt", {"action_attempt_id": action_attempt_id}
        )
        return ActionAttempt.from_api(data)

    async def create_access_code(
        self,
        device_id: str,
        name: str,
        *,
        code: str | None = None,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
    ) -> AccessCode:
        """Create an access code (never retried). Omit ``code`` to let the lock choose it."""
        payload: dict[str, Any] = {"device_id": device_id, "name": name}
        if code is not None:
            payload["code"] = code
        if starts_at is not None:
            payload["starts_at"] = _isoformat(starts_at)
        if ends_at is not None:
            payload["ends_at"] = _isoformat(ends_at)
        return AccessCode.from_api(
            await self._get_resource("access_codes/create", "access_code", payload)
        )

    async def list_access_codes(self, device_id: str) -> list[AccessCode]:
        """Return the access codes of one device (all pages)."""
        items = await self._get_all_pages(
            "access_codes/list", "access_codes", {"device_id": device_id}
        )
        codes = [AccessCode.from_api(item) for item in items]
        # Filter here too: some servers (the fake) ignore device_id.
        return [access_code for access_code in codes if access_code.device_id == device_id]

    async def get_access_code(self, access_code_id: str) -> AccessCode:
        """Return one access code."""
        data = await self._get_resource(
            "access_codes/get", "access_code", {"access_code_id": access_code_id}
        )
        return AccessCode.from_api(data)

    async def update_access_code(
        self,
        access_code_id: str,
        *,
        name: str | None = None,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
    ) -> None:
        """Rename and/or reschedule an access code."""
        payload: dict[str, Any] = {"access_code_id": access_code_id}
        if name is not None:
            payload["name"] = name
        if starts_at is not None:
            payload["starts_at"] = _isoformat(starts_at)
        if ends_at is not None:
            payload["ends_at"] = _isoformat(ends_at)
        await self._request("access_codes/update", payload)

    async def delete_access_code(
        self,
        access_code_id: str,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - public API name
        poll_interval: float = 0.5,
    ) -> ActionAttempt:
        """Delete an access code and wait for the action attempt to succeed."""
        return await self._run_action(
            "access_codes/delete", {"access_code_id": access_code_id}, timeout, poll_interval
        )

    async def create_connect_webview(
        self, accepted_providers: list[str], *, custom_redirect_url: str | None = None
    ) -> ConnectWebview:
        """Create a Connect Webview for linking a provider account."""
        payload: dict[str, Any] = {"accepted_providers": list(accepted_providers)}
        if custom_redirect_url is not None:
            payload["custom_redirect_url"] = custom_redirect_url
        data = await self._get_resource("connect_webviews/create", "connect_webview", payload)
        return ConnectWebview.from_api(data)

    async def get_connect_webview(self, connect_webview_id: str) -> ConnectWebview:
        """Return one Connect Webview."""
        data = await self._get_resource(
            "connect_webviews/get", "connect_webview", {"connect_webview_id": connect_webview_id}
        )
        return ConnectWebview.from_api(data)

    async def list_connected_accounts(self) -> list[ConnectedAccount]:
        """Return every connected account (all pages)."""
        items = await self._get_all_pages("connected_accounts/list", "connected_accounts")
        return [ConnectedAccount.from_api(item) for item in items]

    async def list_events(
        self, since: datetime, *, event_types: list[str] | None = None
    ) -> list[Event]:
        """Return events since ``since`` (optionally of the given types only)."""
        payload: dict[str, Any] = {"since": _isoformat(since)}
        if event_types is not None:
            payload["event_types"] = list(event_types)
        items, _ = await self._get_list("events/list", "events", payload)
        return [Event.from_api(item) for item in items]
