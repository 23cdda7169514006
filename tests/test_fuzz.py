"""Property-based tests (hypothesis): odd responses and odd action data never crash anything.

1. Whatever Seam answers (any status, headers and body, or a broken connection), the client
   returns a model or raises a ``SeamError``, and the models' ``from_api`` accept any JSON object.
2. Whatever data an action gets, it succeeds or fails with a schema error (``probatio.Invalid``)
   or a translated Home Assistant error, and a failed call leaves the codes at Seam unchanged.
"""

from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any, cast
from unittest.mock import patch

import aiohttp
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from hypothesis import HealthCheck, event, given, settings, strategies as st
import orjson
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.seam import services
from custom_components.seam.const import DOMAIN
from custom_components.seam.seam_api import (
    AccessCode,
    ActionAttempt,
    ConnectedAccount,
    ConnectWebview,
    Device,
    Event,
    SeamClient,
    SeamError,
    SeamIssue,
    Workspace,
)
from tests.sandbox import Sandbox

SALTO_ID = "salto_lock_front_door"
AUGUST_ID = "august_device_1"

# What orjson.loads can produce: 64-bit integers (larger ones become floats), finite floats.
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
DATES = st.datetimes(timezones=st.none() | st.just(UTC)).map(lambda value: value.isoformat())


def _objects(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """JSON objects with (some of) a model's keys, holding odd values, plus random keys."""
    value = JSON | DATES | st.sampled_from(["", "0", "salto_lock", "error", "success"])
    nested = st.dictionaries(st.sampled_from(keys), value, max_size=len(keys))
    known = st.dictionaries(st.sampled_from(keys), value | nested | st.lists(nested, max_size=3))
    return st.builds(lambda a, b: {**a, **b}, st.dictionaries(st.text(max_size=12), JSON), known)


# Every key the models read, at any level (properties, battery, error, user_identifier, ...).
MODEL_KEYS = [
    "workspace_id", "name", "is_sandbox", "error_code", "warning_code", "message", "created_at",
    "device_id", "device_type", "display_name", "connected_account_id", "can_remotely_lock",
    "can_remotely_unlock", "can_program_online_access_codes", "properties", "online", "locked",
    "door_open", "battery_level", "battery", "level", "status", "model",
    "manufacturer_display_name", "manufacturer", "salto_ks_metadata", "salto_metadata", "lock_id",
    "supported_code_lengths", "max_active_codes_supported", "errors", "warnings",
    "action_attempt_id", "action_type", "error", "type", "access_code_id", "code", "starts_at",
    "ends_at", "is_waiting_for_code_assignment", "connect_webview_id", "url", "login_successful",
    "account_type", "provider", "user_identifier", "email", "username", "event_id", "event_type",
    "access_code_id", "method", "occurred_at",
]  # fmt: skip
MODELS = [
    Workspace, SeamIssue, Device, ActionAttempt, AccessCode, ConnectWebview, ConnectedAccount, Event
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(model=st.sampled_from(MODELS), data=_objects(MODEL_KEYS))
def test_models_parse_any_object(model: Any, data: dict[str, Any]) -> None:
    """A model parses any JSON object, or raises a SeamError (e.g. for a missing id)."""
    try:
        parsed = model.from_api(data)
    except SeamError:
        return
    assert isinstance(parsed, model)
    hash(parsed)  # frozen and hashable, whatever it holds


# ---- the client over a fake session: any status, headers, body or transport error ----------


class _Reply:
    """A response (or a transport error) the fake session gives to every request."""

    def __init__(
        self, status: int, headers: dict[str, str], body: bytes, error: BaseException | None
    ) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.error = error

    async def __aenter__(self) -> _Reply:
        if self.error is not None:
            raise self.error
        return self

    async def __aexit__(self, *args: object) -> None:
        return None

    async def read(self) -> bytes:
        return self.body


class _Session:
    """Stands in for aiohttp.ClientSession: every POST gets the same reply."""

    def __init__(self, reply: _Reply) -> None:
        self.reply = reply

    def post(self, url: str, **kwargs: Any) -> _Reply:
        return self.reply


def _body(resource: dict[str, Any]) -> st.SearchStrategy[bytes]:
    """Bodies: random bytes, any JSON, or Seam-shaped successes and errors with odd contents."""
    error = _objects(["type", "message", "validation_errors", "_errors", "code"])
    shaped = st.one_of(
        st.builds(lambda e, ok: {"ok": ok, "error": e}, error, JSON),
        st.builds(lambda r: {"ok": True, **r}, st.fixed_dictionaries(resource)),
    )
    return st.binary(max_size=200) | (JSON | shaped).map(orjson.dumps)


RESOURCES = _objects(MODEL_KEYS)
PAGINATION = st.fixed_dictionaries(
    {}, optional={"has_next_page": JSON, "next_page_cursor": JSON | st.just("c1")}
)
REPLY = st.builds(
    _Reply,
    status=st.integers(min_value=100, max_value=599) | st.sampled_from([200, 400, 401, 429, 503]),
    headers=st.fixed_dictionaries(
        {},
        optional={
            "Retry-After": st.text(max_size=40)
            | st.integers(-10, 10**12).map(str)
            | st.datetimes(timezones=st.just(UTC)).map(format_datetime),
            "seam-request-id": st.text(max_size=20),
        },
    ),
    body=_body(
        {
            "workspace": RESOURCES | JSON,
            "device": RESOURCES | JSON,
            "devices": st.lists(RESOURCES, max_size=3) | JSON,
            "access_code": RESOURCES | JSON,
            "access_codes": st.lists(RESOURCES, max_size=3) | JSON,
            "action_attempt": RESOURCES | JSON,
            "events": st.lists(RESOURCES, max_size=3) | JSON,
            "connect_webview": RESOURCES | JSON,
            "connected_accounts": st.lists(RESOURCES, max_size=3) | JSON,
            "pagination": PAGINATION | JSON,
        }
    ),
    error=st.none()
    | st.sampled_from(
        [
            TimeoutError(),
            aiohttp.ClientConnectionError("refused"),
            aiohttp.ServerDisconnectedError(),
            aiohttp.ClientPayloadError("truncated"),
        ]
    ),
)
CALLS: list[Callable[[SeamClient], Awaitable[object]]] = [
    lambda client: client.get_workspace(),
    lambda client: client.list_devices(),
    lambda client: client.get_device("d1"),
    lambda client: client.unlock_door("d1", timeout=0, poll_interval=0),
    lambda client: client.create_access_code("d1", "Guest", code="1234"),
    lambda client: client.list_access_codes("d1"),
    lambda client: client.get_access_code("c1"),
    lambda client: client.update_access_code("c1", name="New"),
    lambda client: client.delete_access_code("c1", timeout=0, poll_interval=0),
    lambda client: client.create_connect_webview(["salto_ks"]),
    lambda client: client.get_connect_webview("cw1"),
    lambda client: client.list_connected_accounts(),
    lambda client: client.list_events(datetime(2026, 1, 1, tzinfo=UTC)),
]


@settings(max_examples=400, deadline=None)
@given(call=st.sampled_from(CALLS), reply=REPLY)
async def test_client_raises_only_seam_errors(
    call: Callable[[SeamClient], Awaitable[object]], reply: _Reply
) -> None:
    """Every client call returns or raises a SeamError, whatever comes back."""
    session = cast(aiohttp.ClientSession, _Session(reply))
    client = SeamClient(session, "seam_test_key", base_url="http://seam.invalid")
    try:
        await call(client)
    except SeamError as err:
        message = str(err)
    else:
        return
    assert "seam_test_key" not in message


# ---- the actions: random and malformed data -------------------------------------------------


@pytest.fixture(autouse=True)
def fast_waits() -> Iterator[None]:
    """Poll a new code's PIN every 10 ms, and wait 1 s at most for it."""
    with (
        patch.object(services, "CODE_POLL_INTERVAL", 0.01),
        patch.object(services, "CODE_WAIT_TIMEOUT", 1),
    ):
        yield


@pytest.fixture
async def seeded(hass: HomeAssistant, sandbox: Sandbox, init_integration: MockConfigEntry) -> None:
    """PINs come at once; one code on each of the two locks under test."""
    await sandbox.set_config(salto_code_delay_s=0)
    client = init_integration.runtime_data.client
    await client.create_access_code(SALTO_ID, "Seeded")
    await client.create_access_code(AUGUST_ID, "Seeded", code="2580")


SOON = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1))
DATE_TEXT = st.one_of(
    SOON.map(str),  # naive: in Home Assistant's time zone
    st.builds(
        lambda value, minutes: value.replace(tzinfo=timezone(timedelta(minutes=minutes))),
        SOON,
        st.integers(-1439, 1439),
    ).map(lambda value: value.isoformat()),
    st.datetimes().map(str),  # any year from 1 to 9999
    st.sampled_from(
        ["9999-12-31 23:59:59", "0001-01-01 00:00:00", "2030-02-30 10:00", "tomorrow", ""]
    ),
)
ODD = JSON | st.datetimes()
# Per field: values of the right kind (any of them may still be wrong: too long, in the past,
# not digits, ...), and odd ones, drawn now and then.
FIELDS = {
    "name": (st.text(max_size=80), ODD),
    "code": (st.text(alphabet="0123456789", max_size=12), st.text(max_size=12) | ODD),
    "starts_at": (DATE_TEXT, ODD),
    "ends_at": (DATE_TEXT, ODD),
    "wait_for_code": (st.booleans(), ODD),
    "access_code_id": (st.text(max_size=40), ODD),
}
# Per action: its required field (if any), then its optional ones.
ACTIONS: dict[str, tuple[str | None, list[str]]] = {
    "create_access_code": ("name", ["code", "starts_at", "ends_at", "wait_for_code"]),
    "list_access_codes": (None, []),
    "update_access_code": ("access_code_id", ["name", "starts_at", "ends_at"]),
    "delete_access_code": ("access_code_id", []),
}


@st.composite
def _action_calls(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """An action and its data: mostly its own fields, now and then odd values or keys."""
    action = draw(st.sampled_from(sorted(ACTIONS)))
    required, optional = ACTIONS[action]
    keys = draw(st.lists(st.sampled_from(optional), unique=True)) if optional else []
    if required and draw(st.integers(0, 9)):  # the required field, most of the time
        keys.append(required)
    if not draw(st.integers(0, 9)):  # a field of another action
        keys.append(draw(st.sampled_from(sorted(FIELDS))))
    data = {}
    for key in keys:
        usual, odd = FIELDS[key]
        data[key] = draw(usual if draw(st.integers(0, 5)) else odd)
    if not draw(st.integers(0, 9)):  # a key no action has
        data[draw(st.text(min_size=1, max_size=10).filter(lambda k: k not in FIELDS))] = draw(JSON)
    return action, data


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(call=_action_calls(), use_salto=st.booleans(), existing_code=st.integers(-1, 9))
@pytest.mark.usefixtures("seeded")
async def test_actions_with_random_data(
    hass: HomeAssistant,
    call: tuple[str, dict[str, Any]],
    use_salto: bool,
    existing_code: int,
) -> None:
    """Random data: success, or a schema / translated error and no change at Seam."""
    action, data = call
    device_id = SALTO_ID if use_salto else AUGUST_ID
    entity_id = er.async_get(hass).async_get_entity_id("lock", DOMAIN, f"{device_id}-lock")
    client = next(iter(hass.config_entries.async_entries(DOMAIN))).runtime_data.client

    async def _codes_at_seam() -> list[tuple[object, ...]]:
        """The lock's codes at the sandbox: what an action may change (not their status)."""
        codes = await client.list_access_codes(device_id)
        return [(c.access_code_id, c.name, c.code, c.starts_at, c.ends_at) for c in codes]

    before = await _codes_at_seam()
    if "access_code_id" in data and before and existing_code >= 0:  # one of the lock's codes
        data["access_code_id"] = before[existing_code % len(before)][0]

    failure: HomeAssistantError | None = None
    try:
        await hass.services.async_call(
            DOMAIN,
            action,
            {ATTR_ENTITY_ID: entity_id, **data},
            blocking=True,
            return_response=action in {"create_access_code", "list_access_codes"},
        )
    except probatio.Invalid:
        event(f"{action}: schema error")
    except HomeAssistantError as err:
        failure = err
    else:
        event(f"{action}: done")
        return
    if failure is not None:  # translated: ServiceValidationError or a failure at Seam
        event(f"{action}: {failure.translation_key}")
        assert failure.translation_domain == DOMAIN, repr(failure)
        assert failure.translation_key, repr(failure)
    assert await _codes_at_seam() == before


@pytest.mark.parametrize(
    ("starts_at", "ends_at"),
    [
        ("2030-01-01 00:00:00", "9999-12-31 23:59:59"),  # past year 9999 in UTC
        ("0001-01-01T01:00:00+00:00", "2030-01-01 00:00:00"),  # before year 1 locally
    ],
)
async def test_time_out_of_range(
    hass: HomeAssistant,
    sandbox: Sandbox,
    init_integration: MockConfigEntry,
    starts_at: str,
    ends_at: str,
) -> None:
    """Found by the fuzzer: a time that only exists in UTC or only locally is a user error."""
    await sandbox.reset_requests()
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "create_access_code",
            {
                ATTR_ENTITY_ID: "lock.front_door",
                "name": "Guest",
                "starts_at": starts_at,
                "ends_at": ends_at,
            },
            blocking=True,
        )
    assert err.value.translation_key == "time_out_of_range"
    assert "is too far in the past or the future" in str(err.value)
    assert "/access_codes/create" not in await sandbox.requests()
