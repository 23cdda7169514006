"""Tests of the Seam API client (custom_components/seam/api.py).

Most tests talk real HTTP to the local sandbox (the ``sandbox`` fixture, reset before each test).
A few use a tiny local aiohttp server for responses the sandbox cannot produce, and the model
tests feed odd dicts straight to ``from_api``.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
import logging
import math
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.seam.seam_api import (
    DEFAULT_API_URL,
    AccessCode,
    ActionAttempt,
    ConnectedAccount,
    ConnectWebview,
    Device,
    Event,
    EventsRead,
    SeamActionAttemptError,
    SeamActionAttemptTimeoutError,
    SeamAuthError,
    SeamClient,
    SeamConflictError,
    SeamConnectionError,
    SeamError,
    SeamInvalidInputError,
    SeamIssue,
    SeamNotFoundError,
    SeamRateLimitError,
    SeamResponseError,
    Workspace,
)
from custom_components.seam.seam_api.errors import (
    flatten_validation_errors as _flatten_validation_errors,
    parse_retry_after as _parse_retry_after,
)
from tests.sandbox import Sandbox

PIN = "739146"
AUTH_TOKEN = "tok_s3cr3t_auth_token_value"

# ---------------------------------------------------------------------------------------------
# Model parsing (no network)
# ---------------------------------------------------------------------------------------------

SALTO_DEVICE: dict[str, Any] = {
    "device_id": "dev_1",
    "device_type": "salto_lock",
    "display_name": "Front door",
    "connected_account_id": "ca_1",
    "workspace_id": "ws_1",
    "capabilities_supported": ["lock", "access_code"],
    "can_remotely_lock": True,
    "can_remotely_unlock": True,
    "can_program_online_access_codes": True,
    "created_at": "2026-01-02T03:04:05.000Z",
    "errors": [
        {
            "error_code": "salto_ks_subscription_limit_exceeded",
            "message": "Limit exceeded",
            "created_at": "2026-01-02T03:04:05Z",
        }
    ],
    "warnings": [
        {"warning_code": "salto_ks_office_mode", "message": "Office mode"},
        "not a dict",
    ],
    "properties": {
        "online": True,
        "locked": False,
        "door_open": True,
        "battery_level": 0.42,
        "battery": {"level": 0.9, "status": "low"},
        "model": {"display_name": "XS4 One", "manufacturer_display_name": "Salto"},
        "manufacturer": "salto_raw",
        "name": "Deprecated name",
        "supported_code_lengths": [6, 7, 8, "9", True],
        "max_active_codes_supported": 100,
        "salto_ks_metadata": {"lock_id": "LOCK-123", "battery_level": "full"},
        "salto_metadata": {"lock_id": "OLD-1"},
        "something_new": {"nested": [1, 2, 3]},
    },
    "unknown_top_level": 1,
}


def test_device_from_api_full() -> None:
    device = Device.from_api(SALTO_DEVICE)
    assert device.device_id == "dev_1"
    assert device.device_type == "salto_lock"
    assert device.display_name == "Front door"
    assert device.connected_account_id == "ca_1"
    assert device.workspace_id == "ws_1"
    assert device.can_remotely_lock
    assert device.can_remotely_unlock
    assert device.can_program_online_access_codes
    assert device.online is True
    assert device.locked is False
    assert device.door_open is True
    assert device.battery_level == 0.42
    assert device.battery_status == "low"
    assert device.model == "XS4 One"
    assert device.manufacturer == "Salto"
    assert device.serial_number == "LOCK-123"
    assert device.supported_code_lengths == (6, 7, 8)
    assert device.max_active_codes_supported == 100
    assert device.errors == (
        SeamIssue(
            code="salto_ks_subscription_limit_exceeded",
            message="Limit exceeded",
            created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        ),
    )
    assert device.warnings == (
        SeamIssue(code="salto_ks_office_mode", message="Office mode", created_at=None),
    )
    assert device.is_lock
    assert device.is_salto


def test_device_from_api_fallbacks() -> None:
    device = Device.from_api(
        {
            "device_id": "dev_2",
            "device_type": "august_lock",
            "properties": {
                "name": "Legacy name",
                "battery": {"level": 1, "status": "full"},
                "manufacturer": "august",
                "salto_metadata": {"lock_id": "OLD-1"},
            },
        }
    )
    assert device.display_name == "Legacy name"
    assert device.battery_level == 1.0
    assert isinstance(device.battery_level, float)
    assert device.manufacturer == "august"
    assert device.serial_number == "OLD-1"
    assert not device.is_salto
    # No capabilities_supported: a lock by its device type, even without lock state.
    assert device.is_lock


def test_device_from_api_minimal() -> None:
    device = Device.from_api({"device_id": "dev_3"})
    assert device == Device(
        device_id="dev_3",
        device_type="",
        capabilities_supported=(),
        display_name="dev_3",
        connected_account_id="",
        workspace_id="",
        can_remotely_lock=None,
        can_remotely_unlock=None,
        can_program_online_access_codes=False,
        online=None,
        locked=None,
        door_open=None,
        battery_level=None,
        battery_status=None,
        model=None,
        manufacturer=None,
        serial_number=None,
        supported_code_lengths=(),
        max_active_codes_supported=None,
        code_constraints=(),
        name_min_length=None,
        name_max_length=None,
        errors=(),
        warnings=(),
    )
    assert device.can_specify_pin_code


def test_device_documented_fields() -> None:
    """Device info, code constraints and capability flags from Seam's documented fields."""
    device = Device.from_api(
        {
            "device_id": "dev_6",
            "can_remotely_lock": True,
            "can_remotely_unlock": False,
            "device_manufacturer": {"manufacturer": "salto", "display_name": "Salto"},
            "warnings": [{"warning_code": "max_access_codes_reached", "message": "full"}],
            "properties": {
                "serial_number": "SN-1",
                "salto_ks_metadata": {"lock_id": "L1", "model": "wall_reader_pin"},
                "code_constraints": [
                    {"constraint_type": "cannot_specify_pin_code"},
                    {"constraint_type": "name_length", "min_length": 2, "max_length": 15},
                    "garbage",
                ],
            },
        }
    )
    assert device.can_remotely_lock is True
    assert device.can_remotely_unlock is False
    assert device.manufacturer == "Salto"
    assert device.model == "wall_reader_pin"
    assert device.serial_number == "SN-1"
    assert device.code_constraints == ("cannot_specify_pin_code", "name_length")
    assert (device.name_min_length, device.name_max_length) == (2, 15)
    assert not device.can_specify_pin_code
    assert device.has_warning("max_access_codes_reached")
    assert not device.has_warning("salto_ks_office_mode")


def test_device_from_api_wrong_types() -> None:
    device = Device.from_api(
        {
            "device_id": "dev_4",
            "device_type": 7,
            "display_name": None,
            "connected_account_id": ["x"],
            "workspace_id": {},
            "can_remotely_lock": "yes",
            "can_remotely_unlock": 1,
            "can_program_online_access_codes": None,
            "errors": {"error_code": "x"},
            "warnings": [None, 3, {"warning_code": 5, "message": 6, "created_at": "garbage"}],
            "properties": {
                "online": "true",
                "locked": 0,
                "door_open": "no",
                "battery_level": True,
                "battery": "full",
                "model": "XS4",
                "manufacturer": 3,
                "supported_code_lengths": "4,6",
                "max_active_codes_supported": 2.5,
                "salto_ks_metadata": ["LOCK"],
                "salto_metadata": {"lock_id": 123},
            },
        }
    )
    assert device.device_type == ""
    assert device.display_name == "dev_4"
    assert device.connected_account_id == ""
    assert device.workspace_id == ""
    assert device.can_remotely_lock is None
    assert device.can_remotely_unlock is None
    assert device.online is None
    assert device.locked is None
    assert device.door_open is None
    assert device.battery_level is None
    assert device.battery_status is None
    assert device.model is None
    assert device.manufacturer is None
    assert device.serial_number is None
    assert device.supported_code_lengths == ()
    assert device.max_active_codes_supported is None
    assert device.errors == ()
    assert device.warnings == (SeamIssue(code="unknown", message="", created_at=None),)
    assert not device.is_lock


def test_device_properties_not_a_dict() -> None:
    device = Device.from_api({"device_id": "dev_5", "properties": "oops"})
    assert device.locked is None
    assert device.battery_level is None


@pytest.mark.parametrize(
    ("capabilities", "device_type", "expected"),
    [
        (["lock", "access_code"], "salto_lock", True),
        (["access_code", "lock"], "some_new_lock", True),
        (["thermostat"], "ecobee_thermostat", False),
        (["noise_detection"], "minut_sensor", False),
        # Without capabilities_supported: by Seam's lock device types.
        (None, "salto_lock", True),
        (None, "ecobee_thermostat", False),
        ([], "", False),
    ],
)
@pytest.mark.parametrize("state", [{}, {"locked": None}, {"locked": True}])
@pytest.mark.parametrize("remote", [False, True])
def test_device_is_lock_by_kind_not_state(
    capabilities: list[str] | None,
    device_type: str,
    expected: bool,
    state: dict[str, Any],
    remote: bool,
) -> None:
    """A lock stays a lock whatever its state: an odd poll (locked null) must not drop it."""
    data: dict[str, Any] = {
        "device_id": "d",
        "device_type": device_type,
        "can_remotely_lock": remote,
        "can_remotely_unlock": remote,
        "properties": state,
    }
    if capabilities is not None:
        data["capabilities_supported"] = capabilities
    assert Device.from_api(data).is_lock is expected


def test_device_equality_and_hash() -> None:
    first = Device.from_api(SALTO_DEVICE)
    second = Device.from_api(SALTO_DEVICE)
    assert first == second
    assert hash(first) == hash(second)
    changed = Device.from_api(
        {**SALTO_DEVICE, "properties": {**SALTO_DEVICE["properties"], "locked": True}}
    )
    assert changed != first
    assert len({first, second, changed}) == 2


@pytest.mark.parametrize(
    ("model", "id_key"),
    [
        (Workspace, "workspace_id"),
        (Device, "device_id"),
        (ActionAttempt, "action_attempt_id"),
        (AccessCode, "access_code_id"),
        (ConnectWebview, "connect_webview_id"),
        (ConnectedAccount, "connected_account_id"),
        (Event, "event_id"),
    ],
)
@pytest.mark.parametrize("bad_id", ["missing", None, 5, "", ["x"]])
def test_from_api_requires_id(model: Any, id_key: str, bad_id: Any) -> None:
    data = {} if bad_id == "missing" else {id_key: bad_id}
    with pytest.raises(SeamResponseError, match=id_key):
        model.from_api(data)


@pytest.mark.parametrize("data", [None, [], "device", 3])
def test_from_api_not_a_dict(data: Any) -> None:
    with pytest.raises(SeamResponseError):
        Device.from_api(data)


def test_workspace_from_api() -> None:
    assert Workspace.from_api(
        {"workspace_id": "ws", "name": "Home", "is_sandbox": True, "extra": 1}
    ) == Workspace(workspace_id="ws", name="Home", is_sandbox=True)
    assert Workspace.from_api({"workspace_id": "ws", "is_sandbox": "true"}) == Workspace(
        workspace_id="ws", name="ws", is_sandbox=False
    )


def test_action_attempt_from_api() -> None:
    attempt = ActionAttempt.from_api(
        {
            "action_attempt_id": "aa",
            "action_type": "LOCK_DOOR",
            "status": "error",
            "result": None,
            "error": {"type": "device_offline", "message": "Device is offline"},
        }
    )
    assert attempt == ActionAttempt(
        action_attempt_id="aa",
        action_type="LOCK_DOOR",
        status="error",
        error_type="device_offline",
        error_message="Device is offline",
    )
    odd = ActionAttempt.from_api({"action_attempt_id": "aa", "status": 3, "error": "boom"})
    assert odd.status == "unknown"
    assert odd.action_type == ""
    assert odd.error_type is None
    assert odd.error_message is None


def test_access_code_from_api() -> None:
    code = AccessCode.from_api(
        {
            "access_code_id": "ac",
            "device_id": "dev",
            "name": "Guest",
            "code": PIN,
            "type": "time_bound",
            "status": "set",
            "starts_at": "2026-02-01T10:00:00.000Z",
            "ends_at": "2026-02-03T10:00:00+01:00",
            "created_at": "2026-01-01T00:00:00",
            "is_waiting_for_code_assignment": False,
            "errors": [{"error_code": "salto_ks_user_not_subscribed", "message": "m"}],
            "warnings": [],
        }
    )
    assert code.code == PIN
    assert code.type == "time_bound"
    assert code.status == "set"
    assert code.starts_at == datetime(2026, 2, 1, 10, tzinfo=UTC)
    assert code.ends_at == datetime(2026, 2, 3, 9, tzinfo=UTC)
    # A naive timestamp is taken as UTC, so every parsed datetime is timezone-aware.
    assert code.created_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert code.errors[0].code == "salto_ks_user_not_subscribed"
    assert PIN not in repr(code)
    assert PIN not in str(code)


def test_access_code_from_api_odd() -> None:
    waiting = AccessCode.from_api(
        {
            "access_code_id": "ac",
            "code": None,
            "is_waiting_for_code_assignment": True,
            "starts_at": "not a date",
            "ends_at": 12,
        }
    )
    assert waiting.code is None
    assert waiting.is_waiting_for_code_assignment
    assert waiting.starts_at is None
    assert waiting.ends_at is None
    assert waiting.type == "ongoing"
    assert waiting.status == "unknown"
    assert waiting.device_id == ""
    assert waiting.name == ""
    inferred = AccessCode.from_api({"access_code_id": "ac", "ends_at": "2026-01-01T00:00:00Z"})
    assert inferred.type == "time_bound"
    assert AccessCode.from_api({"access_code_id": "ac", "code": 1234}).code is None


def test_connect_webview_from_api() -> None:
    url = f"https://connect.example/connect_webviews/view?connect_webview_id=cw&auth_token={AUTH_TOKEN}"
    webview = ConnectWebview.from_api(
        {
            "connect_webview_id": "cw",
            "url": url,
            "status": "authorized",
            "login_successful": True,
            "connected_account_id": "ca",
        }
    )
    assert webview.url == url
    assert webview.status == "authorized"
    assert webview.login_successful
    assert webview.connected_account_id == "ca"
    assert AUTH_TOKEN not in repr(webview)
    odd = ConnectWebview.from_api({"connect_webview_id": "cw", "login_successful": "yes"})
    assert odd.url == ""
    assert odd.status == "unknown"
    assert not odd.login_successful
    assert odd.connected_account_id is None


def test_connected_account_from_api() -> None:
    account = ConnectedAccount.from_api(
        {
            "connected_account_id": "ca",
            "account_type": "salto_ks",
            "user_identifier": {"email": "jane@example.com"},
            "errors": [{"error_code": "account_disconnected", "message": "Reconnect"}],
            "warnings": [{"warning_code": "salto_ks_subscription_limit_almost_reached"}],
        }
    )
    assert account.account_type == "salto_ks"
    assert account.user_identifier == "jane@example.com"
    assert account.errors[0].code == "account_disconnected"
    assert account.warnings[0].code == "salto_ks_subscription_limit_almost_reached"
    # The fake names the provider `provider`; a username stands in for a missing email.
    fake = ConnectedAccount.from_api(
        {"connected_account_id": "ca", "provider": "august", "user_identifier": {"username": "j"}}
    )
    assert fake.account_type == "august"
    assert fake.user_identifier == "j"
    bare = ConnectedAccount.from_api({"connected_account_id": "ca", "user_identifier": "x"})
    assert bare.account_type is None
    assert bare.user_identifier is None


def test_event_from_api() -> None:
    event = Event.from_api(
        {
            "event_id": "ev",
            "event_type": "lock.unlocked",
            "device_id": "dev",
            "method": "keycode",
            "access_code_id": "ac",
            "occurred_at": "2026-03-01T12:00:00Z",
            "created_at": "2026-03-01T12:00:01Z",
        }
    )
    assert event.event_type == "lock.unlocked"
    assert event.device_id == "dev"
    assert event.access_code_id == "ac"
    assert event.method == "keycode"
    assert event.occurred_at == datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert event.created_at == datetime(2026, 3, 1, 12, 0, 1, tzinfo=UTC)
    bare = Event.from_api({"event_id": "ev", "device_id": 5, "occurred_at": None})
    assert bare.event_type == ""
    assert bare.device_id is None
    assert bare.occurred_at is None


def test_parse_retry_after() -> None:
    assert _parse_retry_after(None) is None
    assert _parse_retry_after("") is None
    assert _parse_retry_after("garbage") is None
    assert _parse_retry_after("7") == 7.0
    assert _parse_retry_after("1.5") == 1.5
    assert _parse_retry_after("-3") == 0.0
    assert _parse_retry_after("inf") is None
    assert _parse_retry_after("nan") is None
    future = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    retry_after = _parse_retry_after(future)
    assert retry_after is not None
    assert 100 < retry_after <= 120
    assert _parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    naive = format_datetime(datetime.now(UTC) + timedelta(seconds=60)).replace("+0000", "-0000")
    retry_after = _parse_retry_after(naive)
    assert retry_after is not None
    assert 40 < retry_after <= 60


def test_flatten_validation_errors() -> None:
    assert _flatten_validation_errors(
        {
            "_errors": ["Either 'device_id' or 'name' is required"],
            "name": {"_errors": ["Expected string, received number"]},
            "times": {"_errors": [], "starts_at": {"_errors": ["Bad date"]}},
        }
    ) == [
        "Either 'device_id' or 'name' is required",
        "name: Expected string, received number",
        "times.starts_at: Bad date",
    ]
    assert _flatten_validation_errors(None) == []
    assert _flatten_validation_errors(["a", "b"]) == ["a", "b"]


def test_default_api_url() -> None:
    assert DEFAULT_API_URL == "https://connect.getseam.com"


def test_exception_hierarchy() -> None:
    for error in (
        SeamAuthError,
        SeamNotFoundError,
        SeamInvalidInputError,
        SeamRateLimitError,
        SeamConnectionError,
        SeamResponseError,
        SeamActionAttemptError,
        SeamActionAttemptTimeoutError,
        SeamConflictError,
    ):
        assert issubclass(error, SeamError)
    assert not issubclass(SeamResponseError, SeamConnectionError)


# ---------------------------------------------------------------------------------------------
# A scripted local HTTP server for responses the sandbox does not produce
# ---------------------------------------------------------------------------------------------

Handler = Callable[[dict[str, Any]], Awaitable[web.StreamResponse] | web.StreamResponse]
API_KEY = "seam_test_scripted_key_123"


class ScriptedServer:
    """Answers each path with a scripted handler; records every request."""

    def __init__(self) -> None:
        self.url = ""
        self.handlers: dict[str, Handler] = {}
        self.calls: list[tuple[str, str, dict[str, str], Any]] = []

    def count(self, path: str) -> int:
        return sum(1 for _, called, _, _ in self.calls if called == path)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path.lstrip("/")
        raw = await request.read()
        body = await request.json() if raw else None
        self.calls.append((request.method, path, dict(request.headers), body))
        handler = self.handlers.get(path)
        if handler is None:
            return web.json_response({"error": {"type": "not_found"}, "ok": False}, status=404)
        result = handler(body or {})
        return await result if isinstance(result, Awaitable) else result


@pytest.fixture
async def scripted(socket_enabled: None) -> AsyncIterator[ScriptedServer]:
    server = ScriptedServer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield server
    finally:
        await runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def _ok(payload: dict[str, Any], status: int = 200, **headers: str) -> Handler:
    return lambda _body: web.json_response({**payload, "ok": True}, status=status, headers=headers)


def _err(status: int, error: dict[str, Any] | None, **headers: str) -> Handler:
    body: dict[str, Any] = {"ok": False} if error is None else {"error": error, "ok": False}
    return lambda _body: web.json_response(body, status=status, headers=headers)


def _raw(status: int, text: str, **headers: str) -> Handler:
    return lambda _body: web.Response(status=status, text=text, headers=headers)


def _attempt(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "action_attempt": {
            "action_attempt_id": "aa_1",
            "action_type": "LOCK_DOOR",
            "status": status,
            "result": {} if status == "success" else None,
            "error": None,
            **extra,
        }
    }


async def test_request_shape(scripted: ScriptedServer, session: aiohttp.ClientSession) -> None:
    scripted.handlers["workspaces/get"] = _ok(
        {"workspace": {"workspace_id": "ws", "name": "W", "is_sandbox": False}}
    )
    client = SeamClient(session, API_KEY, base_url=scripted.url + "/")
    assert await client.get_workspace() == Workspace(workspace_id="ws", name="W", is_sandbox=False)
    method, path, headers, body = scripted.calls[0]
    assert (method, path, body) == ("POST", "workspaces/get", {})
    assert headers["Authorization"] == f"Bearer {API_KEY}"
    assert headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("handler", "error_class", "in_message"),
    [
        (_err(200, {"type": "device_not_found", "message": "gone"}), SeamNotFoundError, "gone"),
        (_err(200, {"type": "unauthorized", "message": "no"}), SeamAuthError, "unauthorized"),
        (_err(200, None), SeamConnectionError, "HTTP 200"),
        (_err(200, {"type": "mystery", "message": "?"}), SeamConnectionError, "mystery"),
        (_err(403, {"type": "forbidden", "message": "Nope"}), SeamError, "forbidden: Nope"),
        (_err(422, {"type": "device_not_found", "message": "x"}), SeamNotFoundError, "x"),
        (_err(500, {"type": "internal", "message": "Boom"}), SeamConnectionError, "Boom"),
        (_raw(502, "<html>Bad gateway</html>"), SeamConnectionError, "HTTP 502"),
        (_raw(503, ""), SeamConnectionError, "HTTP 503"),
        (_raw(200, "not json"), SeamConnectionError, "Malformed"),
        (_raw(200, "[1, 2]"), SeamConnectionError, "Malformed"),
        (_raw(200, ""), SeamConnectionError, "Malformed"),
        (_ok({"nothing": 1}), SeamConnectionError, "no workspace"),
        (_ok({"workspace": {"name": "no id"}}), SeamResponseError, "workspace_id"),
        (_raw(302, "", Location="http://127.0.0.1:1/elsewhere"), SeamConnectionError, "302"),
        (_raw(401, "Unauthorized"), SeamAuthError, "HTTP 401"),
        (_raw(400, "Invalid JSON"), SeamInvalidInputError, "HTTP 400"),
    ],
)
async def test_error_mapping(
    scripted: ScriptedServer,
    session: aiohttp.ClientSession,
    handler: Handler,
    error_class: type[SeamError],
    in_message: str,
) -> None:
    scripted.handlers["workspaces/get"] = handler
    client = SeamClient(session, API_KEY, base_url=scripted.url)
    with pytest.raises(SeamError) as exc_info:
        await client.get_workspace()
    assert type(exc_info.value) is error_class
    assert in_message in str(exc_info.value)
    # The redirect is not followed.
    assert [path for _, path, _, _ in scripted.calls] == ["workspaces/get"]


async def test_error_carries_request_id(
    scripted: ScriptedServer, session: aiohttp.ClientSession
) -> None:
    scripted.handlers["devices/get"] = _err(
        404,
        {"type": "device_not_found", "message": "Device not found"},
        **{"seam-request-id": "r1"},
    )
    scripted.handlers["workspaces/get"] = _raw(503, "", **{"seam-request-id": "r2"})
    client = SeamClient(session, API_KEY, base_url=scripted.url)
    with pytest.raises(SeamNotFoundError) as not_found:
        await client.get_device("dev")
    assert not_found.value.request_id == "r1"
    assert not_found.value.error_type == "device_not_found"
    assert str(not_found.value) == "Seam /devices/get failed: device_not_found: Device not found"
    with pytest.raises(SeamConnectionError) as outage:
        await client.get_workspace()
    assert outage.value.request_id == "r2"


async def test_rate_limit_retry_after_http_date(
    scripted: ScriptedServer, session: aiohttp.ClientSession
) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    scripted.handlers["devices/get"] = _err(
        429, {"type": "rate_limited", "message": "Slow down"}, **{"Retry-After": when}
    )
    scripted.handlers["workspaces/get"] = _raw(429, "Too many")
    client = SeamClient(session, API_KEY, base_url=scripted.url)
    with pytest.raises(SeamRateLimitError) as dated:
        await client.get_device("dev")
    assert dated.value.retry_after is not None
    assert 40 < dated.value.retry_after <= 60
    with pytest.raises(SeamRateLimitError) as bare:
        await client.get_workspace()
    assert bare.value.retry_after is None


async def test_invalid_input_validation_errors(
    scripted: ScriptedServer, session: aiohttp.ClientSession
) -> None:
    scripted.handlers["access_codes/create"] = _err(
        400,
        {
            "type": "invalid_input",
            "message": f"Code {PIN} is too long",
            "validation_errors": {"_errors": [], "code": {"_errors": [f"{PIN} is too long"]}},
        },
    )
    client = SeamClient(session, API_KEY, base_url=scripted.url)
    with pytest.raises(SeamInvalidInputError) as exc_info:
        await client.create_access_code("dev", "Guest", code=PIN)
    error = exc_info.value
    assert error.error_type == "invalid_input"
    assert len(error.validation_errors) == 1
    assert error.validation_errors[0].startswith("code: ")
    assert "too long" in str(error)
    assert PIN not in str(error)
    assert all(PIN not in item for item in error.validation_errors)


async def test_secrets_are_redacted_from_seam_messages(
    scripted: ScriptedServer, session: aiohttp.ClientSession
) -> None:
    url = f"https://x.example/view?connect_webview_id=cw&auth_token={AUTH_TOKEN}"
    scripted.handlers["access_codes/create"] = _err(
        409,
        {
            "type": "duplicate_access_code",
            "message": f"Cannot set duplicate access code {PIN} (key {API_KEY}, see {url})",
        },
    )
    client = SeamClient(session, API_KEY, base_url=scripted.url)
    with pytest.raises(SeamConflictError) as exc_info:
        await client.create_access_code("dev", "Guest", code=PIN)
    text = f"{exc_info.value!s} {exc_info.value!r}"
    assert "duplicate_access_code" in text
    for secret in (PIN, API_KEY, AUTH_TOKEN):
        assert secret not in text


async def test_pagination_follows_cursor(
    scripted: ScriptedServer, session: aiohttp.ClientSession
) -> None:
    pages = {
        None: ([f"d{i}" for i in range(3)], "c1"),
        "c1": ([f"d{i}" for i in range(3, 5)], "c2"),
        "c2": (["d5"], None),
    }

    def devices_list(body: dict[str, Any]) -> web.Response:
        ids, cursor = pages[body.get("page_cursor")]
        return web.json_response(
            {
                "devices": [{"device_id": device_id} for device_id in ids],
                "pagination": {
                    "has_next_page": cursor is not None,
                    "next_page_cursor": cursor,
                    "next_page_url": "http://somewhere-else.invalid/devices/list",
                },
                "ok": True,
            }
        )

    scripted.handlers["devices/list"] = devices_list
    client = SeamClient(session, API_KEY, base_url=scripted.url)
    devices = await client.list_devices()
    assert [device.device_id for device in devices] == [f"d{i}" for i in range(6)]
    bodies = [body for _, _, _, body in scripted.calls]
    assert bodies == [
        {"limit": 500},
        {"limit": 500, "page_cursor": "c1"},
        {"limit": 500, "page_cursor": "c2"},
    ]


@pytest.mark.parametrize(
    "pagination",
    [
        {"has_next_page": True, "next_page_cursor": None},
        {"has_next_page": True, "next_page_cursor": "same"},
    ],
)
async def test_pagination_broken_cursor(
    scripted: ScriptedServer, session: aiohttp.ClientSession, pagination: dict[str, Any]
) -> None:
    scripted.handlers["devices/list"] = _ok({"devices": [], "pagination": pagination})
    client = SeamClient(session, API_KEY, base_url=scripted.url)
    with pytest.raises(SeamConnectionError, match="pagination"):
        await client.list_devices()
    assert scripted.count("devices/list") <= 2


async def test_list_with_bad_items(
    scripted: ScriptedServer, session: aiohttp.ClientSession
) -> None:
    scripted.handlers["devices/list"] = _ok({"devices": [{"device_id": "d"}, None]})
    scripted.handlers["events/list"] = _ok({"events": {"event_id": "e"}})
    client = SeamClient(session, API_KEY, base_url=scripted.url)
    with pytest.raises(SeamConnectionError):
        await client.list_devices()
    with pytest.raises(SeamConnectionError):
        await client.list_events(datetime.now(UTC))


async def test_action_already_final_is_not_polled(
    scripted: ScriptedServer, session: aiohttp.ClientSession
) -> None:
    scripted.handlers["locks/lock_door"] = _ok(_attempt("success"))
    scripted.handlers["locks/unlock_door"] = _ok(
        _attempt("error", error={"type": "device_offline", "message": "Offline"})
    )
    client = SeamClient(session, API_KEY, base_url=scripted.url)
    attempt = await client.lock_door("dev")
    assert attempt.status == "success"
    with pytest.raises(SeamActionAttemptError) as exc_info:
        await client.unlock_door("dev")
    assert exc_info.value.error_type == "device_offline"
    assert exc_info.value.action_attempt_id == "aa_1"
    assert "device_offline" in str(exc_info.value)
    assert "Offline" in str(exc_info.value)
    assert scripted.count("action_attempts/get") == 0


async def test_action_polling_survives_transient_errors(
    scripted: ScriptedServer, session: aiohttp.ClientSession
) -> None:
    replies = [_raw(503, ""), _err(429, {"type": "rate_limited"}), _ok(_attempt("pending"))]

    def poll(body: dict[str, Any]) -> Any:
        assert body == {"action_attempt_id": "aa_1"}
        return replies.pop(0)(body) if replies else _ok(_attempt("success"))(body)

    scripted.handlers["locks/lock_door"] = _ok(_attempt("pending"))
    scripted.handlers["action_attempts/get"] = poll
    client = SeamClient(session, API_KEY, base_url=scripted.url)
    attempt = await client.lock_door("dev", poll_interval=0.01)
    assert attempt.status == "success"
    assert scripted.count("action_attempts/get") == 4


async def test_action_timeout_after_transient_errors(
    scripted: ScriptedServer, session: aiohttp.ClientSession
) -> None:
    scripted.handlers["locks/lock_door"] = _ok(_attempt("pending"))
    scripted.handlers["action_attempts/get"] = _raw(503, "")
    client = SeamClient(session, API_KEY, base_url=scripted.url)
    with pytest.raises(SeamActionAttemptTimeoutError) as exc_info:
        await client.lock_door("dev", timeout=0.2, poll_interval=0.05)
    assert exc_info.value.action_attempt_id == "aa_1"
    assert isinstance(exc_info.value.__cause__, SeamConnectionError)


async def test_action_zero_timeout(
    scripted: ScriptedServer, session: aiohttp.ClientSession
) -> None:
    scripted.handlers["access_codes/delete"] = _ok(_attempt("pending"))
    client = SeamClient(session, API_KEY, base_url=scripted.url)
    with pytest.raises(SeamActionAttemptTimeoutError):
        await client.delete_access_code("ac", timeout=0)
    assert scripted.count("action_attempts/get") == 0


async def test_auth_error_while_polling_propagates(
    scripted: ScriptedServer, session: aiohttp.ClientSession
) -> None:
    scripted.handlers["locks/lock_door"] = _ok(_attempt("pending"))
    scripted.handlers["action_attempts/get"] = _err(401, {"type": "unauthorized"})
    client = SeamClient(session, API_KEY, base_url=scripted.url)
    with pytest.raises(SeamAuthError):
        await client.lock_door("dev", poll_interval=0.01)


async def test_naive_datetimes_are_rejected(session: aiohttp.ClientSession) -> None:
    client = SeamClient(session, API_KEY, base_url="http://127.0.0.1:9")
    naive = datetime(2026, 1, 1)
    with pytest.raises(ValueError, match="timezone"):
        await client.create_access_code("dev", "Guest", starts_at=naive)
    with pytest.raises(ValueError, match="timezone"):
        await client.list_events(naive)


async def test_connection_refused(socket_enabled: None, session: aiohttp.ClientSession) -> None:
    client = SeamClient(session, API_KEY, base_url="http://127.0.0.1:9")
    with pytest.raises(SeamConnectionError) as exc_info:
        await client.get_workspace()
    assert isinstance(exc_info.value.__cause__, aiohttp.ClientError)
    assert API_KEY not in str(exc_info.value)


async def test_debug_log_has_no_secrets(
    scripted: ScriptedServer, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"https://x.example/view?connect_webview_id=cw&auth_token={AUTH_TOKEN}"
    scripted.handlers["access_codes/create"] = _ok(
        {"access_code": {"access_code_id": "ac", "code": PIN}}
    )
    scripted.handlers["connect_webviews/create"] = _ok(
        {"connect_webview": {"connect_webview_id": "cw", "url": url}}
    )
    client = SeamClient(session, API_KEY, base_url=scripted.url)
    with caplog.at_level(logging.DEBUG, logger="custom_components.seam.seam_api"):
        code = await client.create_access_code("dev", "Guest", code=PIN)
        webview = await client.create_connect_webview(["salto_ks"])
    assert code.code == PIN
    assert webview.url == url
    records = [r for r in caplog.records if r.name.startswith("custom_components.seam.seam_api")]
    assert records
    assert all(record.levelno <= logging.DEBUG for record in records)
    logged = caplog.text
    assert "/access_codes/create" in logged
    for secret in (PIN, API_KEY, AUTH_TOKEN):
        assert secret not in logged


# ---------------------------------------------------------------------------------------------
# Against the local sandbox (real HTTP; `sandbox` is reset before each test)
# ---------------------------------------------------------------------------------------------


@pytest.fixture
async def client(sandbox: Sandbox, session: aiohttp.ClientSession) -> SeamClient:
    return SeamClient(session, sandbox.api_key, base_url=sandbox.url, request_timeout=5)


@pytest.fixture
async def ids(sandbox: Sandbox) -> dict[str, Any]:
    state: dict[str, Any] = await sandbox.state()
    return state


def _all_text(error: BaseException) -> str:
    """Everything an exception could show in a log line or traceback."""
    return " ".join(
        [str(error), repr(error), repr(error.args), repr(getattr(error, "validation_errors", ""))]
    )


async def test_get_workspace(client: SeamClient, ids: dict[str, Any]) -> None:
    workspace = await client.get_workspace()
    assert workspace.workspace_id == ids["workspace_id"]
    assert workspace.is_sandbox
    assert workspace.name


async def test_list_and_get_devices(client: SeamClient, ids: dict[str, Any]) -> None:
    devices = {device.device_id: device for device in await client.list_devices()}
    assert len(devices) == ids["device_count"]
    for device_id in ids["salto_device_ids"]:
        device = devices[device_id]
        assert device.is_salto
        assert device.is_lock
        assert device.serial_number
        assert device.manufacturer == "Salto"
        assert device.supported_code_lengths
    for device_id in ids["other_lock_device_ids"]:
        assert devices[device_id].is_lock
        assert not devices[device_id].is_salto
    # The sandbox's thermostat and noise sensor say what they support: they are no locks.
    assert sum(device.is_lock for device in devices.values()) == len(ids["salto_device_ids"]) + len(
        ids["other_lock_device_ids"]
    )
    assert devices[ids["offline_device_id"]].online is False
    low = devices[ids["low_battery_device_id"]]
    normal = devices[ids["normal_device_id"]]
    assert low.battery_level is not None
    assert normal.battery_level is not None
    assert low.battery_level < normal.battery_level
    assert not devices[ids["no_remote_unlock_device_id"]].can_remotely_unlock

    device = await client.get_device(ids["normal_device_id"])
    assert device == normal
    assert device.locked is True
    assert device.online is True


async def test_device_changes_are_seen(
    client: SeamClient, sandbox: Sandbox, ids: dict[str, Any]
) -> None:
    device_id = ids["normal_device_id"]
    before = await client.get_device(device_id)
    assert before == await client.get_device(device_id)
    await sandbox.update_device(device_id, properties={"door_open": True, "online": False})
    after = await client.get_device(device_id)
    assert after != before
    assert after.door_open is True
    assert after.online is False


async def test_list_devices_paginates(
    client: SeamClient, sandbox: Sandbox, ids: dict[str, Any]
) -> None:
    added = await sandbox.add_devices(1100)
    total = ids["device_count"] + len(added)
    await sandbox.reset_requests()
    devices = await client.list_devices()
    device_ids = [device.device_id for device in devices]
    assert len(device_ids) == total
    assert len(set(device_ids)) == total
    assert set(added) <= set(device_ids)
    requests = await sandbox.requests()
    assert requests.get("/devices/list") == math.ceil(total / 500)


async def test_list_devices_reuses_unchanged_pages(
    client: SeamClient, sandbox: Sandbox, ids: dict[str, Any]
) -> None:
    """An unchanged page's devices come back as the same objects; a changed page is parsed."""
    await sandbox.add_devices(600)  # two pages
    first_list = await client.list_devices()
    first = {device.device_id: device for device in first_list}
    second = {device.device_id: device for device in await client.list_devices()}
    assert second.keys() == first.keys()
    assert all(second[device_id] is first[device_id] for device_id in first)

    changed = ids["normal_device_id"]
    position = [device.device_id for device in first_list].index(changed)
    same_page = {
        device.device_id
        for index, device in enumerate(first_list)
        if index // 500 == position // 500
    }
    await sandbox.update_device(changed, properties={"battery_level": 0.42})
    third = {device.device_id: device for device in await client.list_devices()}
    assert third[changed].battery_level == 0.42
    assert third[changed] != second[changed]
    for device_id in second.keys() - same_page:
        assert third[device_id] is second[device_id]
    for device_id in same_page - {changed}:
        assert third[device_id] == second[device_id]

    await sandbox.remove_device(changed)
    fourth = {device.device_id: device for device in await client.list_devices()}
    assert changed not in fourth
    assert len(fourth) == len(third) - 1


async def test_get_device_not_found(client: SeamClient) -> None:
    with pytest.raises(SeamNotFoundError) as exc_info:
        await client.get_device("no_such_device")
    assert exc_info.value.error_type == "device_not_found"
    assert exc_info.value.request_id
    assert "device_not_found" in str(exc_info.value)


async def test_lock_and_unlock(client: SeamClient, sandbox: Sandbox, ids: dict[str, Any]) -> None:
    device_id = ids["normal_device_id"]
    attempt = await client.unlock_door(device_id, poll_interval=0.05)
    assert attempt.status == "success"
    assert attempt.action_type == "UNLOCK_DOOR"
    assert (await client.get_device(device_id)).locked is False
    attempt = await client.lock_door(device_id, poll_interval=0.05)
    assert attempt.status == "success"
    assert attempt.action_type == "LOCK_DOOR"
    assert (await client.get_device(device_id)).locked is True
    assert (
        ActionAttempt.from_api(await sandbox.action_attempt(attempt.action_attempt_id)) == attempt
    )


async def test_lock_waits_for_slow_attempt(
    client: SeamClient, sandbox: Sandbox, ids: dict[str, Any]
) -> None:
    await sandbox.set_config(action_attempt_delay_s=0.3)
    await sandbox.reset_requests()
    attempt = await client.unlock_door(ids["normal_device_id"], poll_interval=0.05)
    assert attempt.status == "success"
    assert (await sandbox.requests()).get("/action_attempts/get", 0) >= 2


async def test_action_attempt_errors(
    client: SeamClient, sandbox: Sandbox, ids: dict[str, Any]
) -> None:
    with pytest.raises(SeamActionAttemptError) as offline:
        await client.lock_door(ids["offline_device_id"], poll_interval=0.05)
    assert offline.value.error_type == "device_offline"
    assert offline.value.action_attempt_id
    assert "device_offline" in str(offline.value)
    with pytest.raises(SeamActionAttemptError) as no_remote:
        await client.unlock_door(ids["no_remote_unlock_device_id"], poll_interval=0.05)
    assert no_remote.value.error_type == "device_cannot_perform_requested_action"
    attempt = await sandbox.action_attempt(no_remote.value.action_attempt_id)
    assert attempt["status"] == "error"
    assert attempt["error"]["type"] == "device_cannot_perform_requested_action"
    assert attempt["error"]["message"]


async def test_attempt_error_fault(
    client: SeamClient, sandbox: Sandbox, ids: dict[str, Any]
) -> None:
    await sandbox.fault(
        "/locks/unlock_door", "attempt_error", error_type="lock_jammed", message="Jammed", count=1
    )
    with pytest.raises(SeamActionAttemptError) as exc_info:
        await client.unlock_door(ids["normal_device_id"], poll_interval=0.05)
    assert exc_info.value.error_type == "lock_jammed"
    assert "Jammed" in str(exc_info.value)


async def test_attempt_pending_times_out(
    client: SeamClient, sandbox: Sandbox, ids: dict[str, Any]
) -> None:
    await sandbox.fault("/locks/lock_door", "attempt_pending", count=1)
    started = asyncio.get_running_loop().time()
    with pytest.raises(SeamActionAttemptTimeoutError) as exc_info:
        await client.lock_door(ids["normal_device_id"], timeout=0.5, poll_interval=0.1)
    elapsed = asyncio.get_running_loop().time() - started
    assert 0.4 < elapsed < 3
    attempt_id = exc_info.value.action_attempt_id
    assert attempt_id
    assert "pending" in str(exc_info.value)
    assert (await sandbox.action_attempt(attempt_id))["status"] == "pending"


async def test_access_code_lifecycle(
    client: SeamClient, sandbox: Sandbox, ids: dict[str, Any]
) -> None:
    device_id = ids["other_lock_device_ids"][0]
    starts_at = datetime(2030, 1, 1, 10, tzinfo=UTC)
    ends_at = datetime(2030, 1, 2, 10, tzinfo=UTC)
    created = await client.create_access_code(
        device_id, "Guest", code=PIN, starts_at=starts_at, ends_at=ends_at
    )
    assert created.device_id == device_id
    assert created.name == "Guest"
    assert created.code == PIN
    assert created.type == "time_bound"
    assert created.starts_at == starts_at
    assert created.ends_at == ends_at
    assert created.created_at is not None
    assert PIN not in repr(created)

    other = await client.create_access_code(ids["other_lock_device_ids"][1], "Elsewhere")
    listed = await client.list_access_codes(device_id)
    assert [code.access_code_id for code in listed] == [created.access_code_id]
    assert other.access_code_id not in {code.access_code_id for code in listed}

    assert (await client.get_access_code(created.access_code_id)).code == PIN
    new_end = datetime(2030, 1, 3, 10, tzinfo=UTC)
    await client.update_access_code(
        created.access_code_id, name="Renamed", starts_at=starts_at, ends_at=new_end
    )
    updated = await client.get_access_code(created.access_code_id)
    assert updated.name == "Renamed"
    assert updated.ends_at == new_end

    attempt = await client.delete_access_code(created.access_code_id, poll_interval=0.05)
    assert attempt.status == "success"
    assert attempt.action_type == "DELETE_ACCESS_CODE"
    with pytest.raises(SeamNotFoundError):
        await client.get_access_code(created.access_code_id)
    assert await client.list_access_codes(device_id) == []


async def test_salto_access_code_is_assigned_later(
    client: SeamClient, sandbox: Sandbox, ids: dict[str, Any]
) -> None:
    await sandbox.set_config(salto_code_delay_s=0.3)
    created = await client.create_access_code(ids["normal_device_id"], "Cleaner")
    assert created.code is None
    assert created.is_waiting_for_code_assignment
    for _ in range(50):
        current = await client.get_access_code(created.access_code_id)
        if current.code is not None:
            break
        await asyncio.sleep(0.1)
    assert current.code is not None
    assert current.code.isdigit()
    assert not current.is_waiting_for_code_assignment
    assert current.code not in repr(current)


async def test_salto_rejects_custom_code(client: SeamClient, ids: dict[str, Any]) -> None:
    with pytest.raises(SeamInvalidInputError) as exc_info:
        await client.create_access_code(ids["normal_device_id"], "Guest", code=PIN)
    assert exc_info.value.error_type == "invalid_input"
    assert "Salto" in str(exc_info.value)
    assert PIN not in _all_text(exc_info.value)


async def test_invalid_input(client: SeamClient, ids: dict[str, Any]) -> None:
    with pytest.raises(SeamInvalidInputError) as exc_info:
        await client.create_access_code(
            ids["normal_device_id"],
            "Backwards",
            starts_at=datetime(2030, 1, 2, tzinfo=UTC),
            ends_at=datetime(2030, 1, 1, tzinfo=UTC),
        )
    assert "ends_at" in str(exc_info.value)
    with pytest.raises(SeamInvalidInputError) as wrong_type:
        await client.create_access_code(ids["other_lock_device_ids"][0], 5)  # type: ignore[arg-type]
    assert any(error.startswith("name: ") for error in wrong_type.value.validation_errors)


async def test_duplicate_access_code_conflict(client: SeamClient, ids: dict[str, Any]) -> None:
    device_id = ids["other_lock_device_ids"][0]
    await client.create_access_code(device_id, "First", code=PIN)
    with pytest.raises(SeamConflictError) as exc_info:
        await client.create_access_code(device_id, "Second", code=PIN)
    assert exc_info.value.error_type == "duplicate_access_code"
    assert "duplicate_access_code" in str(exc_info.value)
    assert PIN not in _all_text(exc_info.value)


async def test_create_access_code_is_never_retried(
    client: SeamClient, sandbox: Sandbox, ids: dict[str, Any]
) -> None:
    device_id = ids["other_lock_device_ids"][0]
    for kind in ("drop", "outage"):
        await sandbox.fault("/access_codes/create", kind, count=1)
        await sandbox.reset_requests()
        with pytest.raises(SeamConnectionError) as exc_info:
            await client.create_access_code(device_id, f"Guest {kind}", code=PIN)
        assert PIN not in _all_text(exc_info.value)
        assert (await sandbox.requests()).get("/access_codes/create") == 1
    # The dropped request did create its code server-side: exactly one, not a retried duplicate.
    assert [code.name for code in await client.list_access_codes(device_id)] == ["Guest drop"]


async def test_connect_webview(client: SeamClient, sandbox: Sandbox) -> None:
    webview = await client.create_connect_webview(["salto_ks"])
    assert webview.status == "pending"
    assert not webview.login_successful
    assert webview.connected_account_id is None
    assert "auth_token=" in webview.url
    token = webview.url.split("auth_token=", 1)[1].split("&", 1)[0]
    assert token not in repr(webview)
    assert webview.url not in repr(webview)
    fetched = await client.get_connect_webview(webview.connect_webview_id)
    assert fetched.connect_webview_id == webview.connect_webview_id
    assert token not in repr(fetched)
    with pytest.raises(SeamNotFoundError):
        await client.get_connect_webview("no_such_webview")


async def test_list_connected_accounts(client: SeamClient, ids: dict[str, Any]) -> None:
    accounts = {
        account.connected_account_id: account for account in await client.list_connected_accounts()
    }
    salto = accounts[ids["salto_connected_account_id"]]
    assert salto.account_type == "salto_ks"
    assert salto.user_identifier
    assert all(isinstance(account.errors, tuple) for account in accounts.values())


async def test_list_events(client: SeamClient, sandbox: Sandbox, ids: dict[str, Any]) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    device_id = ids["normal_device_id"]
    await client.unlock_door(device_id, poll_interval=0.05)
    await sandbox.add_event(device_id, "lock.locked", method="manual")
    read = await client.list_events(since)
    types = [event.event_type for event in read.events]
    assert "lock.unlocked" in types
    assert "lock.locked" in types
    unlocked = (await client.list_events(since, event_types=["lock.unlocked"])).events
    assert [event.event_type for event in unlocked] == ["lock.unlocked"]
    assert unlocked[0].device_id == device_id
    assert unlocked[0].method == "remote"
    assert unlocked[0].occurred_at is not None
    assert unlocked[0].occurred_at >= since
    locked = (await client.list_events(since, event_types=["lock.locked"])).events
    assert [event.method for event in locked] == ["manual"]
    later = datetime.now(UTC) + timedelta(hours=1)
    assert await client.list_events(later) == EventsRead(events=[], complete_until=later)


@pytest.mark.parametrize("order", ["desc", "asc"])
async def test_list_events_reads_past_the_limit(
    client: SeamClient, sandbox: Sandbox, ids: dict[str, Any], order: str
) -> None:
    """1,200 events, 500 per answer, in either order: every one exactly once, oldest first."""
    await sandbox.set_config(events_order=order)
    since = datetime.now(UTC) - timedelta(seconds=5)
    added = await sandbox.add_events(ids["normal_device_id"], "lock.locked", 1200, method="manual")
    await sandbox.reset_requests()
    read = await client.list_events(since, event_types=["lock.locked"])
    assert [event.event_id for event in read.events] == added
    assert read.complete_until == read.events[-1].created_at
    assert (await sandbox.requests()).get("/events/list", 0) <= 8


async def test_list_events_stops_at_what_it_read_completely(
    client: SeamClient, sandbox: Sandbox, ids: dict[str, Any]
) -> None:
    """With too few requests allowed, only a complete prefix is returned."""
    await sandbox.set_config(events_order="asc")
    since = datetime.now(UTC) - timedelta(seconds=5)
    added = await sandbox.add_events(ids["normal_device_id"], "lock.locked", 30, method="manual")
    read = await client.list_events(since, event_types=["lock.locked"], limit=10, max_requests=2)
    first = [event.event_id for event in read.events]
    assert first == added[: len(first)]
    assert 0 < len(first) < 30
    assert all(event.created_at < read.complete_until for event in read.events)
    # The next read starts a little before complete_until (Seam documents no bound semantics);
    # events read twice have the same id.
    rest = await client.list_events(
        read.complete_until - timedelta(milliseconds=1), event_types=["lock.locked"], limit=10
    )
    assert first + [e.event_id for e in rest.events if e.event_id not in first] == added


async def test_list_events_full_answer_at_one_instant(
    client: SeamClient, sandbox: Sandbox, ids: dict[str, Any]
) -> None:
    """More events at one instant than one answer holds cannot be split: what came is kept."""
    at = datetime.now(UTC).isoformat()
    for _ in range(3):
        await sandbox.add_event(
            ids["normal_device_id"], "lock.locked", method="manual", created_at=at, occurred_at=at
        )
    since = datetime.now(UTC) - timedelta(seconds=5)
    read = await client.list_events(since, event_types=["lock.locked"], limit=2)
    assert len(read.events) == 2
    assert read.complete_until == read.events[-1].created_at


async def test_outage_is_connection_error(
    client: SeamClient, sandbox: Sandbox, ids: dict[str, Any]
) -> None:
    await sandbox.fault("/devices/list", "outage", count=1)
    with pytest.raises(SeamConnectionError, match="HTTP 503"):
        await client.list_devices()
    assert len(await client.list_devices()) == ids["device_count"]
    await sandbox.fault("*", "outage", status=500, count=1)
    with pytest.raises(SeamConnectionError, match="HTTP 500"):
        await client.get_workspace()


async def test_slow_response_is_connection_error(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    client = SeamClient(session, sandbox.api_key, base_url=sandbox.url, request_timeout=0.2)
    await sandbox.fault("/workspaces/get", "delay", delay_s=1, count=1)
    started = asyncio.get_running_loop().time()
    with pytest.raises(SeamConnectionError, match="Timeout") as exc_info:
        await client.get_workspace()
    assert asyncio.get_running_loop().time() - started < 0.9
    assert isinstance(exc_info.value.__cause__, TimeoutError)


async def test_malformed_response_is_connection_error(client: SeamClient, sandbox: Sandbox) -> None:
    await sandbox.fault("/devices/list", "malformed", count=1)
    with pytest.raises(SeamConnectionError, match="Malformed"):
        await client.list_devices()


async def test_dropped_connection_is_connection_error(client: SeamClient, sandbox: Sandbox) -> None:
    await sandbox.fault("/workspaces/get", "drop", count=1)
    with pytest.raises(SeamConnectionError) as exc_info:
        await client.get_workspace()
    assert isinstance(exc_info.value.__cause__, aiohttp.ClientError)


async def test_unauthorized_is_auth_error(client: SeamClient, sandbox: Sandbox) -> None:
    await sandbox.fault("*", "unauthorized")
    with pytest.raises(SeamAuthError) as exc_info:
        await client.get_workspace()
    assert exc_info.value.error_type == "unauthorized"
    assert sandbox.api_key not in _all_text(exc_info.value)
    with pytest.raises(SeamAuthError):
        await client.list_devices()


async def test_rate_limit_has_retry_after(
    client: SeamClient, sandbox: Sandbox, ids: dict[str, Any]
) -> None:
    await sandbox.fault("/locks/unlock_door", "rate_limit", retry_after=42, count=1)
    with pytest.raises(SeamRateLimitError) as exc_info:
        await client.unlock_door(ids["normal_device_id"])
    assert exc_info.value.retry_after == 42
    assert exc_info.value.error_type
    assert (await client.unlock_door(ids["normal_device_id"], poll_interval=0.05)).status == (
        "success"
    )


async def test_no_secrets_anywhere(
    sandbox: Sandbox,
    session: aiohttp.ClientSession,
    ids: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Neither the API key, a PIN nor a webview auth token shows up in errors, reprs or logs."""
    client = SeamClient(session, sandbox.api_key, base_url=sandbox.url, request_timeout=0.3)
    device_id = ids["other_lock_device_ids"][0]
    errors: list[BaseException] = []
    with caplog.at_level(logging.DEBUG):
        code = await client.create_access_code(device_id, "Guest", code=PIN)
        webview = await client.create_connect_webview(["salto_ks"])
        token = webview.url.split("auth_token=", 1)[1].split("&", 1)[0]
        calls: list[tuple[str, str]] = [
            ("/access_codes/create", "outage"),
            ("/access_codes/create", "malformed"),
            ("/access_codes/create", "unauthorized"),
            ("/access_codes/create", "rate_limit"),
            ("/access_codes/create", "drop"),
            ("/access_codes/create", "delay"),
        ]
        for route, kind in calls:
            await sandbox.fault(route, kind, count=1)
            try:
                await client.create_access_code(device_id, "Again", code=PIN)
            except SeamError as err:
                errors.append(err)
        try:
            await client.create_access_code(device_id, "Duplicate", code=PIN)
        except SeamError as err:
            errors.append(err)
        try:
            await client.create_access_code(ids["normal_device_id"], "Salto", code=PIN)
        except SeamError as err:
            errors.append(err)
    assert len(errors) == len(calls) + 2
    assert {type(err) for err in errors} >= {
        SeamConnectionError,
        SeamAuthError,
        SeamRateLimitError,
        SeamConflictError,
        SeamInvalidInputError,
    }
    texts = [_all_text(err) for err in errors]
    texts += [repr(code), str(code), repr(webview), str(webview), caplog.text]
    for text in texts:
        for secret in (PIN, sandbox.api_key, token, webview.url):
            assert secret not in text
    assert all(
        record.levelno <= logging.DEBUG
        for record in caplog.records
        if "seam.seam_api" in record.name
    )
