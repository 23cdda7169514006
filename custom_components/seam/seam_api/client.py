"""Async client for the Seam HTTP API.

A small library layer with no Home Assistant imports. Every call is a POST with a JSON body
over an injected ``aiohttp.ClientSession``. Responses are parsed into frozen, hashable models
that keep only the fields the integration uses and tolerate unknown, missing or odd fields.

Secrets never leave this module in a log line or an exception message: the API key, access
code PINs and connect webview URLs (which carry an ``auth_token``) are kept out of both.
"""

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import hashlib
from http import HTTPStatus
import logging
import re
import time
from typing import Any

import aiohttp
import orjson

from .errors import (
    SeamActionAttemptError,
    SeamActionAttemptTimeoutError,
    SeamConnectionError,
    SeamError,
    SeamInvalidInputError,
    SeamRateLimitError,
    error_class,
    flatten_validation_errors,
    parse_retry_after,
)
from .models import (
    AccessCode,
    ActionAttempt,
    ConnectedAccount,
    ConnectWebview,
    Device,
    Event,
    Webhook,
    Workspace,
    get_dict,
    get_str,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_API_URL = "https://connect.getseam.com"
PAGE_SIZE = 500
# events/list: events per request (Seam's default and what we ask for explicitly), and the most
# requests one list_events call makes before it stops at what it has fully read.
EVENTS_LIMIT = 500
EVENTS_MAX_REQUESTS = 20
# A window's bounds overlap by this much so that an event exactly at a bound is read whatever
# Seam's bound semantics (the spec calls `between` exclusive); duplicates are dropped by id.
_EVENTS_OVERLAP = timedelta(milliseconds=1)
_MAX_PAGES = 1000
_REQUEST_ID_HEADER = "seam-request-id"
_AUTH_TOKEN_RE = re.compile(r"(auth_token=)[^&\s\"'<>]+", re.IGNORECASE)
_REDACTED = "**REDACTED**"

ACTION_STATUS_SUCCESS = "success"
ACTION_STATUS_ERROR = "error"


def _isoformat(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("Seam needs timezone-aware datetimes")
    return value.isoformat()


# --------------------------------------------------------------------------------------------
# Client
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventsRead:
    """The result of ``list_events``: events oldest first, and how far they are complete.

    ``complete_until`` is the time up to which every event was read: the next read starts
    there (it equals the ``since`` asked for when nothing could be read completely).
    """

    events: list[Event]
    complete_until: datetime


@dataclass(slots=True)
class _PageMemo[T]:
    """One page of a repeated list request as last read: its bytes' digest and what it held.

    The digest and the parsed models, not the bytes (about 5 KiB per device) nor the decoded
    JSON (about 4 KiB per device): a device costs its model only.
    """

    digest: bytes | None = None
    items: list[T] = field(default_factory=list)
    # The cursor of the next page, None after the last page.
    next_cursor: str | None = None


def _is_success(status: int) -> bool:
    """Whether an HTTP status is a 2xx."""
    return HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES


def _digest(raw: bytes) -> bytes:
    """Return a 128-bit digest of a response body (BLAKE2b: fast, collisions out of reach)."""
    return hashlib.blake2b(raw, digest_size=16).digest()


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
        # list_devices(): each page as last read.
        self._device_pages: list[_PageMemo[Device]] = []

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
    ) -> dict[str, Any]:
        """POST ``payload`` to ``path`` and return the decoded success body."""
        body = dict(payload or {})
        return self._decode(path, body, *await self._post(path, body, request_timeout))

    async def _post(
        self, path: str, body: Mapping[str, Any], request_timeout: float | None = None
    ) -> tuple[int, Mapping[str, str], bytes]:
        """POST ``body`` to ``path``; the response's status, headers and bytes."""
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
        return status, headers, raw

    def _decode(
        self,
        path: str,
        body: Mapping[str, Any],
        status: int,
        headers: Mapping[str, str],
        raw: bytes,
    ) -> dict[str, Any]:
        """Decode a response: its success body, or raise the ``SeamError`` it stands for."""
        try:
            data: Any = orjson.loads(raw) if raw else None
        except ValueError:
            data = None
        ok = _is_success(status)
        if ok and isinstance(data, dict) and data.get("ok") is not False:
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
        error = get_dict(data, "error") if isinstance(data, dict) else {}
        error_type = get_str(error, "type")
        secrets = [body.get("code")] if isinstance(body.get("code"), str) else []
        seam_message = get_str(error, "message")
        if error_type or seam_message:
            message = f"{error_type or 'error'}: {seam_message or 'no message'}"
        else:
            message = f"HTTP {status}"
        message = self._redact(f"Seam /{path} failed: {message}", secrets)
        exception_class = error_class(status, error_type)
        if exception_class is SeamInvalidInputError:
            validation = tuple(
                self._redact(item, secrets)
                for item in flatten_validation_errors(error.get("validation_errors"))
            )
            return SeamInvalidInputError(
                message, request_id=request_id, error_type=error_type, validation_errors=validation
            )
        if exception_class is SeamRateLimitError:
            return SeamRateLimitError(
                message,
                request_id=request_id,
                error_type=error_type,
                retry_after=parse_retry_after(headers.get("Retry-After")),
            )
        return exception_class(message, request_id=request_id, error_type=error_type)

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
        self, path: str, key: str, payload: Mapping[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """POST and return the list under ``key`` plus the response's ``pagination``."""
        return self._list_in(path, key, await self._request(path, payload))

    @staticmethod
    def _list_in(
        path: str, key: str, data: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Return the list under ``key`` of a decoded response, and its ``pagination``."""
        items = data.get(key)
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise SeamConnectionError(f"Malformed response from Seam /{path}: no {key} list")
        return items, get_dict(data, "pagination")

    async def _get_all_pages[T](
        self,
        path: str,
        key: str,
        parse: Callable[[dict[str, Any]], T],
        payload: Mapping[str, Any] | None = None,
        *,
        memos: list[_PageMemo[T]] | None = None,
    ) -> list[T]:
        """Follow ``next_page_cursor`` until ``has_next_page`` is false; each item parsed.

        ``memos`` (one per page, kept by the caller): a page whose bytes are those of its
        previous answer is neither decoded nor parsed again; its items are the same objects.
        """
        body = {**(payload or {}), "limit": PAGE_SIZE}
        result: list[T] = []
        seen: set[str] = set()
        for index in range(_MAX_PAGES):
            memo = None
            if memos is not None:
                if index == len(memos):
                    memos.append(_PageMemo())
                memo = memos[index]
            status, headers, raw = await self._post(path, body)
            digest = _digest(raw) if memo is not None else None
            if memo is not None and memo.digest == digest and _is_success(status):
                items, cursor = memo.items, memo.next_cursor
            else:
                page, pagination = self._list_in(
                    path, key, self._decode(path, body, status, headers, raw)
                )
                items = [parse(item) for item in page]
                cursor = None
                if pagination.get("has_next_page") is True:
                    cursor = get_str(pagination, "next_page_cursor")
                    if not cursor:
                        raise SeamConnectionError(f"Malformed pagination from Seam /{path}")
                if memo is not None:
                    memo.digest, memo.items, memo.next_cursor = digest, items, cursor
            result.extend(items)
            if cursor is None:
                if memos is not None:
                    del memos[index + 1 :]
                return result
            if cursor in seen:
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

        A page whose response is byte for byte the one of the previous call is neither decoded
        nor parsed again: its devices are the same ``Device`` objects. A poll of unchanged locks
        costs the requests and a byte digest per page; a changed page costs decoding and parsing
        its devices.
        """
        return await self._get_all_pages(
            "devices/list", "devices", Device.from_api, memos=self._device_pages
        )

    async def get_device(self, device_id: str) -> Device:
        """Return one device."""
        data = await self._get_resource("devices/get", "device", {"device_id": device_id})
        return Device.from_api(data)

    async def create_webhook(self, url: str, event_types: Iterable[str]) -> Webhook:
        """Create a webhook; the answer carries its signing secret (never logged)."""
        payload = {"url": url, "event_types": list(event_types)}
        return Webhook.from_api(await self._get_resource("webhooks/create", "webhook", payload))

    async def list_webhooks(self) -> list[Webhook]:
        """Return the workspace's webhooks."""
        items, _ = await self._get_list("webhooks/list", "webhooks")
        return [Webhook.from_api(item) for item in items]

    async def delete_webhook(self, webhook_id: str) -> None:
        """Delete a webhook: Seam stops delivering to its URL."""
        await self._request("webhooks/delete", {"webhook_id": webhook_id})

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
        return await self._get_all_pages(
            "access_codes/list", "access_codes", AccessCode.from_api, {"device_id": device_id}
        )

    async def get_access_code(self, access_code_id: str) -> AccessCode:
        """Return one access code."""
        data = await self._get_resource(
            "access_codes/get", "access_code", {"access_code_id": access_code_id}
        )
        return AccessCode.from_api(data)

    async def get_unmanaged_access_code(self, access_code_id: str) -> AccessCode:
        """Return one access code made outside Seam (e.g. in the lock maker's app)."""
        data = await self._get_resource(
            "access_codes/unmanaged/get", "access_code", {"access_code_id": access_code_id}
        )
        return AccessCode.from_api(data)

    async def update_access_code(
        self,
        access_code_id: str,
        *,
        name: str | None = None,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
        ongoing: bool = False,
        timeout: float = 10.0,  # noqa: ASYNC109 - public API name
        poll_interval: float = 0.5,
    ) -> ActionAttempt:
        """Rename and/or reschedule an access code (``ongoing``: drop its time window).

        Waits for the ``UPDATE_ACCESS_CODE`` action attempt like ``delete_access_code``.
        """
        payload: dict[str, Any] = {"access_code_id": access_code_id}
        if name is not None:
            payload["name"] = name
        if ongoing:
            payload["type"] = "ongoing"
        if starts_at is not None:
            payload["starts_at"] = _isoformat(starts_at)
        if ends_at is not None:
            payload["ends_at"] = _isoformat(ends_at)
        return await self._run_action("access_codes/update", payload, timeout, poll_interval)

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
        self,
        accepted_providers: list[str],
        *,
        accepted_capabilities: list[str] | None = None,
        wait_for_device_creation: bool | None = None,
    ) -> ConnectWebview:
        """Create a Connect Webview for linking a provider account.

        ``accepted_capabilities`` (e.g. ``["lock"]``) says which kind of devices to link;
        ``wait_for_device_creation`` asks Seam to finish syncing the account's devices before
        it completes the webview.
        """
        payload: dict[str, Any] = {"accepted_providers": list(accepted_providers)}
        if accepted_capabilities is not None:
            payload["accepted_capabilities"] = list(accepted_capabilities)
        if wait_for_device_creation is not None:
            payload["wait_for_device_creation"] = wait_for_device_creation
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
        return await self._get_all_pages(
            "connected_accounts/list", "connected_accounts", ConnectedAccount.from_api
        )

    async def list_events(
        self,
        since: datetime,
        *,
        event_types: list[str] | None = None,
        limit: int = EVENTS_LIMIT,
        max_requests: int = EVENTS_MAX_REQUESTS,
    ) -> EventsRead:
        """Return every event after ``since`` (optionally of the given types only), oldest first.

        ``events/list`` returns at most ``limit`` events and has no pagination, and Seam
        documents no order: a full answer holds either the oldest or the newest ``limit``
        events of the window. Either way it is a run of consecutive events, so the events
        strictly between its oldest and newest time are complete, and what is left are the two
        windows on either side (``between``, one of them nearly empty). Those are read the
        same way, oldest window first, until every window is read or ``max_requests`` were
        made; ``complete_until`` then says up to where the result is complete.
        """
        start = since
        base: dict[str, Any] = {"limit": limit}
        if event_types is not None:
            base["event_types"] = list(event_types)
        found: dict[str, Event] = {}
        # Windows still to read, oldest first: (start, end or None for "until now").
        windows: list[tuple[datetime, datetime | None]] = [(start, None)]
        requests = 0
        while windows and requests < max_requests:
            low, high = windows.pop(0)
            payload = dict(base)
            if high is None:
                payload["since"] = _isoformat(low)
            else:
                payload["between"] = [_isoformat(low), _isoformat(high)]
            items, _ = await self._get_list("events/list", "events", payload)
            requests += 1
            page = [Event.from_api(item) for item in items]
            for event in page:
                found.setdefault(event.event_id, event)
            stamps = [event.created_at for event in page if event.created_at is not None]
            if len(page) < limit or not stamps:
                continue
            oldest, newest = min(stamps), max(stamps)
            if oldest == newest:
                # A full answer of events all at one instant cannot be split further.
                _LOGGER.debug("More than %s Seam events at %s; some may be missed", limit, oldest)
                continue
            # The run's own span is complete; read both sides (with a small overlap).
            windows[:0] = [
                (low, oldest + _EVENTS_OVERLAP),
                (newest - _EVENTS_OVERLAP, high),
            ]
        complete_until = windows[0][0] if windows else None
        events = sorted(
            (
                event
                for event in found.values()
                if complete_until is None
                or (event.created_at is not None and event.created_at < complete_until)
            ),
            key=lambda event: (event.created_at or since, event.event_id),
        )
        if complete_until is None:
            stamps = [event.created_at for event in events if event.created_at is not None]
            complete_until = max([since, *stamps])
        return EventsRead(events=events, complete_until=complete_until)
