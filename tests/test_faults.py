"""Fault suite: each failure the sandbox can inject, through the running integration.

For every fault: Home Assistant keeps running; the integration's entities go unavailable (or the
action fails with a translated error); the integration logs exactly one warning or error for
the failure (an action's failure goes to its caller instead) and one info line when it recovers;
the entities come back once the fault clears; and no access code is created twice or lost (the
codes are listed at the sandbox, over HTTP, not from Home Assistant).
"""

from collections.abc import Iterator
from functools import partial
import logging
from typing import Any
from unittest.mock import patch

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.lock import (
    DOMAIN as LOCK_DOMAIN,
    SERVICE_UNLOCK,
    LockState,
)
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, CONF_API_KEY, STATE_UNAVAILABLE
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from custom_components.seam import services
from custom_components.seam.const import CONF_API_URL, DOMAIN
from custom_components.seam.seam_api import SeamClient
from tests import async_poll, async_refresh, setup_integration
from tests.hass_process import free_port
from tests.sandbox import Sandbox

FRONT_DOOR = "lock.front_door"
FRONT_DOOR_ID = "salto_lock_front_door"
AUGUST_ID = "august_device_1"
RECOVERED = (logging.INFO, "Fetching seam data recovered")
# Requests in these tests get this long (seconds) before they count as timed out.
REQUEST_TIMEOUT = 0.5

type Codes = dict[str, tuple[str, str]]


@pytest.fixture(autouse=True)
def short_timeouts() -> Iterator[None]:
    """Time requests out after 0.5 s; poll action attempts every 10 ms, wait 0.3 s for them."""
    with (
        patch("custom_components.seam.coordinator.REQUEST_TIMEOUT", REQUEST_TIMEOUT),
        patch("custom_components.seam.lock.ACTION_POLL_INTERVAL", 0.01),
        patch("custom_components.seam.lock.ACTION_TIMEOUT", 0.3),
        patch.object(services, "CODE_POLL_INTERVAL", 0.05),
        patch.object(services, "RECOVERY_DELAY", 0),
    ):
        yield


@pytest.fixture(autouse=True)
def capture_info(caplog: pytest.LogCaptureFixture) -> None:
    """Capture the integration's log records from INFO up."""
    caplog.set_level(logging.INFO, logger="custom_components.seam")


async def _sandbox_codes(sandbox: Sandbox, device_ids: list[str]) -> Codes:
    """Every access code of those locks at the sandbox: id -> (device id, name)."""
    async with aiohttp.ClientSession() as session:
        client = SeamClient(session, sandbox.api_key, base_url=sandbox.url)
        return {
            code.access_code_id: (code.device_id, code.name)
            for device_id in device_ids
            for code in await client.list_access_codes(device_id)
        }


@pytest.fixture
async def codes_before(sandbox: Sandbox, sandbox_state: dict[str, Any]) -> Codes:
    """A code on the August lock (created directly at Seam), then every code at the sandbox."""
    async with aiohttp.ClientSession() as session:
        client = SeamClient(session, sandbox.api_key, base_url=sandbox.url)
        await client.create_access_code(AUGUST_ID, "Cleaner", code="4711")
    return await _sandbox_codes(sandbox, _lock_ids(sandbox_state))


def _lock_ids(state: dict[str, Any]) -> list[str]:
    return [*state["salto_device_ids"], *state["other_lock_device_ids"]]


def _states(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """The state of each of the entry's entities (enabled ones: they have a state).

    Not the access codes sensors: each poll reads one more lock's codes (unknown -> a number),
    whatever the fault.
    """
    states = {
        entity.entity_id: hass.states.get(entity.entity_id)
        for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if not entity.unique_id.endswith("-access_codes")
    }
    return {entity_id: state.state for entity_id, state in states.items() if state is not None}


def _logs(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    """The integration's records since the last call (INFO and up), as (level, message).

    Also checks that no logger wrote a traceback at WARNING or above.
    """
    records = caplog.records
    assert not [r.getMessage() for r in records if r.exc_info and r.levelno >= logging.WARNING]
    logs = [
        (record.levelno, record.getMessage())
        for record in records
        if record.name.startswith("custom_components.seam") and record.levelno >= logging.INFO
    ]
    caplog.clear()
    return logs


def _assert_one_warning(logs: list[tuple[int, str]], reason: str) -> None:
    """Exactly one record at WARNING or above, and it names the reason."""
    [(level, message)] = logs
    assert level >= logging.WARNING
    assert reason in message


def _assert_unavailable(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    states = _states(hass, entry)
    assert len(states) > 20
    assert set(states.values()) == {STATE_UNAVAILABLE}
    assert hass.state is CoreState.running


# --------------------------------------------------------------------------------------------
# Polling faults
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "options", "reason"),
    [
        ("outage", {}, "Seam /devices/list failed: HTTP 503"),
        ("delay", {"delay_s": 2 * REQUEST_TIMEOUT}, "Timeout while calling Seam /devices/list"),
        ("malformed", {}, "Malformed response from Seam /devices/list (HTTP 200)"),
    ],
    ids=["503", "slower_than_timeout", "malformed_json"],
)
async def test_devices_list_fault(
    *,
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    codes_before: Codes,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    options: dict[str, Any],
    reason: str,
) -> None:
    """Seam's device list failing: unavailable, one error; back with one info line."""
    before = _states(hass, init_integration)
    _logs(caplog)
    await sandbox.fault("/devices/list", kind, **options)

    for _ in range(3):
        await async_refresh(hass, init_integration)
        _assert_unavailable(hass, init_integration)
    _assert_one_warning(_logs(caplog), reason)

    await sandbox.clear_faults()
    for _ in range(2):
        await async_refresh(hass, init_integration)
        assert _states(hass, init_integration) == before
    assert _logs(caplog) == [RECOVERED]
    assert await _sandbox_codes(sandbox, _lock_ids(sandbox_state)) == codes_before


async def test_connection_refused(
    hass: HomeAssistant, socket_enabled: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Seam's server stopped, then started again: unavailable while it is down, then back.

    Uses its own sandbox on a fixed port (not the session's), stopped and restarted there.
    A restarted sandbox is freshly seeded, so the codes compared are the seeded ones: the
    integration neither created nor deleted any while Seam was unreachable.
    """
    port = await hass.async_add_executor_job(free_port)
    server = await hass.async_add_executor_job(partial(Sandbox.start, port=port))
    try:
        state = await server.state()
        entry = MockConfigEntry(
            domain=DOMAIN,
            unique_id=state["workspace_id"],
            data={CONF_API_KEY: server.api_key, CONF_API_URL: server.url},
            minor_version=2,
        )
        await setup_integration(hass, entry)
        before = _states(hass, entry)
        codes = await _sandbox_codes(server, _lock_ids(state))
        _logs(caplog)

        await hass.async_add_executor_job(server.stop)
        for _ in range(3):
            await async_refresh(hass, entry)
            _assert_unavailable(hass, entry)
        _assert_one_warning(_logs(caplog), "ClientConnectorError")

        server = await hass.async_add_executor_job(partial(Sandbox.start, port=port))
        for _ in range(2):
            await async_refresh(hass, entry)
            assert _states(hass, entry) == before
        assert _logs(caplog) == [RECOVERED]
        assert await _sandbox_codes(server, _lock_ids(state)) == codes
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await hass.async_add_executor_job(server.stop)


async def test_unauthorized_mid_run(
    *,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    codes_before: Codes,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 401 while running: unavailable, reauth asked, and no more polls until reauth."""
    before = _states(hass, init_integration)
    _logs(caplog)
    await sandbox.fault("/devices/list", "unauthorized")
    await sandbox.reset_requests()

    await async_poll(hass, freezer, 30)
    _assert_unavailable(hass, init_integration)
    [flow] = hass.config_entries.flow.async_progress()
    assert flow["handler"] == DOMAIN
    assert flow["context"]["source"] == SOURCE_REAUTH
    assert flow["context"]["entry_id"] == init_integration.entry_id
    assert init_integration.state is ConfigEntryState.LOADED
    _assert_one_warning(_logs(caplog), "The Seam API key was rejected")

    # Ten more intervals: Seam is not asked again with the rejected key.
    for _ in range(10):
        await async_poll(hass, freezer, 30)
    assert await sandbox.requests() == {"/devices/list": 1}
    _assert_unavailable(hass, init_integration)
    assert _logs(caplog) == []

    # The user re-authenticates (the key works again): the entry reloads and polls again.
    await sandbox.clear_faults()
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_API_KEY: sandbox.api_key}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    assert _states(hass, init_integration) == before
    assert _logs(caplog) == [
        (logging.INFO, "Seam accepted the new API key of Seam sandbox (sandbox); reloading it")
    ]
    await async_poll(hass, freezer, 30)
    assert (await sandbox.requests())["/devices/list"] == 3  # reload, then one poll
    assert await _sandbox_codes(sandbox, _lock_ids(sandbox_state)) == codes_before


async def test_rate_limited_waits_for_retry_after(
    *,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    codes_before: Codes,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 429 with Retry-After: 300: no request for 300 s, then back with one info line."""
    before = _states(hass, init_integration)
    _logs(caplog)
    await sandbox.fault("/devices/list", "rate_limit", retry_after=300, count=1)
    await sandbox.reset_requests()

    await async_poll(hass, freezer, 30)
    _assert_unavailable(hass, init_integration)
    _assert_one_warning(_logs(caplog), "rate_limit_exceeded")
    assert (await sandbox.requests())["/devices/list"] == 1

    # 270 s of regular 30 s intervals: no request.
    for _ in range(9):
        await async_poll(hass, freezer, 30)
    assert (await sandbox.requests())["/devices/list"] == 1
    _assert_unavailable(hass, init_integration)

    await async_poll(hass, freezer, 31)
    assert (await sandbox.requests())["/devices/list"] == 2
    assert _states(hass, init_integration) == before
    assert _logs(caplog) == [RECOVERED]
    assert await _sandbox_codes(sandbox, _lock_ids(sandbox_state)) == codes_before


# --------------------------------------------------------------------------------------------
# Action faults: the action fails with a translated error; entities stay available
# --------------------------------------------------------------------------------------------


async def _async_unlock(hass: HomeAssistant) -> None:
    await hass.services.async_call(
        LOCK_DOMAIN, SERVICE_UNLOCK, {ATTR_ENTITY_ID: FRONT_DOOR}, blocking=True
    )


@pytest.mark.parametrize(
    ("kind", "translation_key", "message"),
    [
        ("attempt_error", "action_attempt_failed", "the request on Front Door"),
        ("attempt_pending", "action_attempt_timeout", "the request on Front Door took effect"),
    ],
    ids=["attempt_fails", "attempt_stays_pending"],
)
async def test_unlock_attempt_fault(
    *,
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    codes_before: Codes,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    translation_key: str,
    message: str,
) -> None:
    """An unlock Seam fails or never confirms: a translated error, the lock stays locked."""
    before = _states(hass, init_integration)
    _logs(caplog)
    await sandbox.fault("/locks/unlock_door", kind, count=1)

    with pytest.raises(HomeAssistantError) as err:
        await _async_unlock(hass)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == translation_key
    assert message in str(err.value)
    assert _states(hass, init_integration) == before
    assert hass.state is CoreState.running
    assert _logs(caplog) == []  # the caller reports the error (UI, automation trace)

    # The next unlock works.
    await _async_unlock(hass)
    assert hass.states.get(FRONT_DOOR).state == LockState.UNLOCKED
    await async_refresh(hass, init_integration)
    assert hass.states.get(FRONT_DOOR).state == LockState.UNLOCKED
    assert _logs(caplog) == []
    assert await _sandbox_codes(sandbox, _lock_ids(sandbox_state)) == codes_before


async def test_create_access_code_response_lost(
    *,
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    codes_before: Codes,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Seam creates the code but the answer is lost: one code at Seam, reported as recovered."""
    await sandbox.set_config(salto_code_delay_s=0.1)
    before = _states(hass, init_integration)
    _logs(caplog)
    await sandbox.fault("/access_codes/create", "drop", count=1)
    await sandbox.reset_requests()

    response = await hass.services.async_call(
        DOMAIN,
        "create_access_code",
        {ATTR_ENTITY_ID: FRONT_DOOR, "name": "Guest"},
        blocking=True,
        return_response=True,
    )

    created = response[FRONT_DOOR]
    assert created["recovered"] is True
    assert created["code"] is not None
    assert (await sandbox.requests())["/access_codes/create"] == 1
    codes = await _sandbox_codes(sandbox, _lock_ids(sandbox_state))
    assert codes == {**codes_before, created["access_code_id"]: (FRONT_DOOR_ID, "Guest")}
    assert _states(hass, init_integration) == before
    assert _logs(caplog) == []

    # The next create is answered normally.
    response = await hass.services.async_call(
        DOMAIN,
        "create_access_code",
        {ATTR_ENTITY_ID: FRONT_DOOR, "name": "Guest 2"},
        blocking=True,
        return_response=True,
    )
    assert response[FRONT_DOOR]["recovered"] is False
    codes = await _sandbox_codes(sandbox, _lock_ids(sandbox_state))
    assert len(codes) == len(codes_before) + 2
    assert (await sandbox.requests())["/access_codes/create"] == 2
