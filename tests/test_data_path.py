"""The one data path: polls, device reads and pushed events interleaved (issue 18).

Each test holds one request of the integration in flight (at the client boundary, after or before
the sandbox answered it) while something newer happens, and checks what the user sees after:
lock states, activity fired exactly once, the access codes sensor, the poll schedule, the log.
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
import logging
import time
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.event import ATTR_EVENT_TYPE
from homeassistant.components.lock import LockState
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, State
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    mock_restore_cache_with_extra_data,
)

from custom_components.seam.const import DOMAIN
from custom_components.seam.coordinator import PUSH_POLL_INTERVAL, SeamCoordinator
from tests import async_poll, setup_integration
from tests.sandbox import Sandbox

FRONT_DOOR = "lock.front_door"
FRONT_DOOR_ACTIVITY = "event.front_door_activity"
FRONT_DOOR_CODES = "sensor.front_door_access_codes"
SALTO = "salto_lock_front_door"


@pytest.fixture
async def push_entry(
    hass: HomeAssistant, ha_url: str, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The sandbox entry with push: Home Assistant's HTTP app on loopback as its internal URL."""
    await setup_integration(hass, mock_config_entry)
    assert mock_config_entry.runtime_data.push_healthy
    return mock_config_entry


class Hold:
    """Keep one call of a client method in flight until ``release()``.

    ``answer_first``: the sandbox answers at once and the answer waits (an old answer on its
    way); else the request waits before it is sent.
    """

    def __init__(self, coordinator: SeamCoordinator, method: str, *, answer_first: bool) -> None:
        self.entered = asyncio.Event()
        self.returned = asyncio.Event()
        self._release = asyncio.Event()
        self._real: Callable[..., Awaitable[Any]] = getattr(coordinator.client, method)
        self._answer_first = answer_first
        self._held = False
        self._target = (coordinator.client, method)

    async def _call(self, *args: Any, **kwargs: Any) -> Any:
        if self._held:
            return await self._real(*args, **kwargs)
        self._held = True
        try:
            if self._answer_first:
                answer = await self._real(*args, **kwargs)
                self.entered.set()
                await self._release.wait()
                return answer
            self.entered.set()
            await self._release.wait()
            return await self._real(*args, **kwargs)
        finally:
            self.returned.set()

    @contextmanager
    def active(self) -> Iterator[Hold]:
        with patch.object(*self._target, self._call):
            yield self

    def release(self) -> None:
        self._release.set()

    def disarm(self) -> None:
        """Hold no call (from now on)."""
        self._held = True


async def _until(predicate: Callable[[], bool]) -> None:
    """Let the loop run (real time) until ``predicate()`` holds."""
    for _ in range(500):
        if predicate():
            return
        # Real time, also while a test freezes Home Assistant's clock (and the loop's).
        await asyncio.get_running_loop().run_in_executor(None, time.sleep, 0.01)
    raise AssertionError("timed out")


def _push(coordinator: SeamCoordinator, event_type: str, **data: Any) -> None:
    """A verified delivery, as the webhook hands it to the coordinator."""
    event_id = f"ev_{event_type}_{dt_util.utcnow().timestamp()}"
    coordinator.async_handle_push_event(
        {"event_id": event_id, "event_type": event_type, "device_id": SALTO, **data}
    )


def _fired(events: list[Any]) -> list[tuple[str, str | None]]:
    """(event type, access code name) of each activity the front door's event entity fired."""
    return [
        (
            e.data["new_state"].attributes[ATTR_EVENT_TYPE],
            e.data["new_state"].attributes.get("access_code_name"),
        )
        for e in events
        if e.data["entity_id"] == FRONT_DOOR_ACTIVITY
        and e.data["new_state"].state not in ("unknown", STATE_UNAVAILABLE)
    ]


def _state(hass: HomeAssistant, entity_id: str = FRONT_DOOR) -> str:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


# ------------------------------------------------------------------ 18.2 the poll schedule


async def test_pushes_do_not_move_the_safety_net_poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sandbox: Sandbox,
    push_entry: MockConfigEntry,
) -> None:
    """A delivery every 5 minutes: the 10-minute poll still runs on time."""
    coordinator = push_entry.runtime_data
    assert coordinator.update_interval == PUSH_POLL_INTERVAL
    await sandbox.reset_requests()
    for minute in range(5, 35, 5):
        await async_poll(hass, freezer, 5 * 60)
        _push(coordinator, "lock.unlocked" if minute % 10 else "lock.locked")
        await hass.async_block_till_done()
    await async_poll(hass, freezer, 1)
    # 30 minutes: three polls (not a single one: each push used to push the poll back).
    assert (await sandbox.requests()).get("/devices/list", 0) == 3


# ------------------------------------------------------------------ 18.3 a code removed meanwhile


async def test_code_deleted_while_a_poll_reads_it(
    hass: HomeAssistant,
    sandbox: Sandbox,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A code waiting for its PIN, deleted while the poll checks it: no error, entities stay."""
    coordinator = init_integration.runtime_data
    starts = dt_util.utcnow() + timedelta(hours=1)
    access_code = await coordinator.client.create_access_code(
        SALTO, "Guest", starts_at=starts, ends_at=starts + timedelta(hours=5)
    )
    access_code_id = access_code.access_code_id
    # Watched, and its start has passed: the poll checks it.
    coordinator.async_watch_access_code(
        FRONT_DOOR, replace(access_code, starts_at=dt_util.utcnow() - timedelta(seconds=1))
    )

    holds = [
        Hold(coordinator, method, answer_first=False)
        for method in ("get_access_code", "list_access_codes")
    ]
    with holds[0].active(), holds[1].active():
        poll = hass.async_create_task(coordinator.async_refresh())
        await _until(lambda: any(hold.entered.is_set() for hold in holds))
        for hold in holds:
            if not hold.entered.is_set():
                hold.disarm()  # the action's own reads pass
        await hass.services.async_call(
            DOMAIN,
            "delete_access_code",
            {"entity_id": FRONT_DOOR, "access_code_id": access_code_id},
            blocking=True,
        )
        for hold in holds:
            hold.release()
        await poll
    await hass.async_block_till_done()
    assert coordinator.last_update_success
    assert _state(hass) != STATE_UNAVAILABLE
    assert "Unexpected error" not in caplog.text
    assert access_code_id not in coordinator.pending_codes
    assert _state(hass, FRONT_DOOR_CODES) == "0"


# ------------------------------------------------------------------ 18.4 older never over newer


async def test_device_read_does_not_undo_a_newer_lock_event(
    hass: HomeAssistant, sandbox: Sandbox, push_entry: MockConfigEntry
) -> None:
    """A device read answered before a pushed unlock, arriving after it, keeps the unlock."""
    coordinator = push_entry.runtime_data
    hold = Hold(coordinator, "get_device", answer_first=True)
    with hold.active():
        _push(coordinator, "device.low_battery")
        await asyncio.wait_for(hold.entered.wait(), 10)  # the read answered "locked"
        await sandbox.door(SALTO, "unlock")  # Seam pushes the unlock
        await _until(lambda: _state(hass) == LockState.UNLOCKED)
        hold.release()
        await asyncio.wait_for(hold.returned.wait(), 10)
        await hass.async_block_till_done()
    assert _state(hass) == LockState.UNLOCKED


async def test_poll_does_not_undo_a_newer_device_read(
    hass: HomeAssistant, sandbox: Sandbox, push_entry: MockConfigEntry
) -> None:
    """A device list answered before the lock went offline does not bring it back."""
    coordinator = push_entry.runtime_data
    hold = Hold(coordinator, "list_devices", answer_first=True)
    with hold.active():
        poll = hass.async_create_task(coordinator.async_refresh())
        await asyncio.wait_for(hold.entered.wait(), 10)  # the list says online
        await sandbox.update_device(SALTO, properties={"online": False})
        _push(coordinator, "device.disconnected")
        await _until(lambda: _state(hass) == STATE_UNAVAILABLE)
        hold.release()
        await poll
    await hass.async_block_till_done()
    assert _state(hass) == STATE_UNAVAILABLE


async def test_device_event_during_its_read_reads_again(
    hass: HomeAssistant, sandbox: Sandbox, push_entry: MockConfigEntry
) -> None:
    """A second device event while the first one's read is on its way: read again after it."""
    coordinator = push_entry.runtime_data
    battery = "sensor.front_door_battery"
    hold = Hold(coordinator, "get_device", answer_first=True)
    with hold.active():
        _push(coordinator, "device.battery_status_changed")
        await asyncio.wait_for(hold.entered.wait(), 10)  # answered with the old level
        await sandbox.update_device(
            SALTO,
            properties={"battery_level": 0.05, "battery": {"level": 0.05, "status": "critical"}},
        )
        _push(coordinator, "device.low_battery")
        hold.release()
        await asyncio.wait_for(hold.returned.wait(), 10)
        await hass.async_block_till_done()
    assert _state(hass, battery) == "5"


# ------------------------------------------------------------------ 18.5 activity exactly once


async def test_lock_event_pushed_during_a_poll_fires_once(
    hass: HomeAssistant, sandbox: Sandbox, push_entry: MockConfigEntry
) -> None:
    """An unlock pushed while a poll is under way (which reads it too) fires once."""
    coordinator = push_entry.runtime_data
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    hold = Hold(coordinator, "list_devices", answer_first=True)
    with hold.active():
        poll = hass.async_create_task(coordinator.async_refresh())
        await asyncio.wait_for(hold.entered.wait(), 10)
        await sandbox.door(SALTO, "unlock")
        await _until(lambda: bool(_fired(events)))
        hold.release()
        await poll
    await hass.async_block_till_done()
    assert _fired(events) == [("unlocked", None)]
    assert _state(hass) == LockState.UNLOCKED


async def test_device_read_during_a_poll_keeps_the_polls_activity(
    hass: HomeAssistant, sandbox: Sandbox, init_integration: MockConfigEntry
) -> None:
    """A device read that finishes while a poll reads access codes: the poll's activity fires."""
    coordinator = init_integration.runtime_data
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    await sandbox.add_event(SALTO, "lock.unlocked", method="manual")
    hold = Hold(coordinator, "list_access_codes", answer_first=True)
    read = Hold(coordinator, "get_device", answer_first=True)
    with hold.active(), read.active():
        poll = hass.async_create_task(coordinator.async_refresh())
        await asyncio.wait_for(hold.entered.wait(), 10)  # devices and events were read
        _push(coordinator, "device.low_battery")
        read.release()
        await asyncio.wait_for(read.returned.wait(), 10)
        await asyncio.sleep(0.01)  # the read is applied
        hold.release()
        await poll
    await hass.async_block_till_done()
    assert _fired(events) == [("unlocked", None)]


async def test_coded_unlock_overtaken_by_a_later_event(
    hass: HomeAssistant, sandbox: Sandbox, push_entry: MockConfigEntry
) -> None:
    """An unlock with a code (its name being looked up) overtaken by a later lock: both fire
    once, the unlock with the code's name; the lock shows the later state."""
    coordinator = push_entry.runtime_data
    await sandbox.webhook_fault("drop", count=None)  # the code's name is not known yet
    await sandbox.set_config(salto_code_delay_s=0)
    access_code = await coordinator.client.create_access_code(SALTO, "Cleaner")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    now = dt_util.utcnow()
    hold = Hold(coordinator, "get_access_code", answer_first=True)
    with hold.active():
        _push(
            coordinator,
            "lock.unlocked",
            method="keycode",
            access_code_id=access_code.access_code_id,
            occurred_at=(now - timedelta(seconds=2)).isoformat(),
        )
        await asyncio.wait_for(hold.entered.wait(), 10)
        _push(
            coordinator,
            "lock.locked",
            method="manual",
            occurred_at=(now - timedelta(seconds=1)).isoformat(),
        )
        assert _fired(events) == [("locked", None)]  # applied at once, the unlock waits
        hold.release()
        await hass.async_block_till_done()
    assert sorted(_fired(events), key=str) == [("locked", None), ("unlocked", "Cleaner")]
    assert _state(hass) == LockState.LOCKED


# ------------------------------------------------------------------ 18.10 more events


async def test_seam_is_asked_for_every_change_nothing_else_corrects(
    sandbox: Sandbox, push_entry: MockConfigEntry
) -> None:
    """The webhook asks Seam for the events of Seam's spec that change codes or are activity."""
    [webhook] = await sandbox.webhooks()
    assert {
        "access_code.delay_in_setting_on_device",
        "access_code.failed_to_remove_from_device",
        "access_code.modified_external_to_seam",
        "access_code.deleted_external_to_seam",
        "lock.access_denied",
    } <= set(webhook["event_types"])


async def test_access_denied_is_an_activity(
    hass: HomeAssistant, push_entry: MockConfigEntry
) -> None:
    """lock.access_denied fires the activity entity and leaves the lock as it is."""
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    _push(push_entry.runtime_data, "lock.access_denied", method="keycode")
    await hass.async_block_till_done()
    assert _fired(events) == [("access_denied", None)]
    assert _state(hass) == LockState.LOCKED


@pytest.mark.parametrize(
    "event_type",
    [
        "access_code.modified_external_to_seam",
        "access_code.deleted_external_to_seam",
        "access_code.failed_to_remove_from_device",
        "access_code.delay_in_setting_on_device",
        "access_code.failed_to_update",
    ],
)
async def test_access_code_events_update_the_codes_sensor(
    hass: HomeAssistant, sandbox: Sandbox, push_entry: MockConfigEntry, event_type: str
) -> None:
    """Every access_code.* event, older or newer in Seam's spec, reads that lock's codes."""
    coordinator = push_entry.runtime_data
    await sandbox.webhook_fault("drop", count=None)  # only the event below
    await sandbox.set_config(salto_code_delay_s=0)
    access_code = await coordinator.client.create_access_code(SALTO, "Made elsewhere")
    await sandbox.reset_requests()
    _push(coordinator, event_type, access_code_id=access_code.access_code_id)
    await hass.async_block_till_done()
    assert (await sandbox.requests())["/access_codes/list"] == 1
    state = hass.states.get(FRONT_DOOR_CODES)
    assert state is not None
    assert [code["name"] for code in state.attributes["access_codes"]] == ["Made elsewhere"]


@pytest.mark.parametrize(
    "event_type",
    ["access_code.set_on_device", "access_code.scheduled_on_device", "access_code.issued"],
)
async def test_pin_in_an_event_is_ready(
    hass: HomeAssistant, push_entry: MockConfigEntry, event_type: str
) -> None:
    """A waited-for PIN that arrives in an event fires seam_access_code_ready, without it."""
    coordinator = push_entry.runtime_data
    ready = async_capture_events(hass, "seam_access_code_ready")
    starts = dt_util.utcnow() + timedelta(days=5)
    response = await hass.services.async_call(
        DOMAIN,
        "create_access_code",
        {
            "entity_id": FRONT_DOOR,
            "name": "Guest",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(days=1)).isoformat(),
        },
        blocking=True,
        return_response=True,
    )
    access_code_id = response[FRONT_DOOR]["access_code_id"]
    _push(coordinator, event_type, access_code_id=access_code_id, code="424242")
    await hass.async_block_till_done()
    [event] = ready
    assert event.data == {
        "access_code_id": access_code_id,
        "device_id": SALTO,
        "entity_id": FRONT_DOOR,
        "name": "Guest",
        "starts_at": response[FRONT_DOOR]["starts_at"],
        "ends_at": response[FRONT_DOOR]["ends_at"],
    }
    assert access_code_id not in coordinator.pending_codes


async def test_safety_net_poll_reconciles_a_missed_code_delivery(
    hass: HomeAssistant, sandbox: Sandbox, push_entry: MockConfigEntry
) -> None:
    """While push works, a code change whose delivery was lost shows at the next poll."""
    coordinator = push_entry.runtime_data
    for _ in range(len(coordinator.data) + 1):  # every lock's codes read once
        await coordinator.async_refresh()
    await sandbox.webhook_fault("drop", count=None)
    await sandbox.set_config(salto_code_delay_s=0)
    await coordinator.client.create_access_code(SALTO, "Made in the Seam Console")
    await hass.async_block_till_done()
    assert _state(hass, FRONT_DOOR_CODES) == "0"
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert _state(hass, FRONT_DOOR_CODES) == "1"
    assert coordinator.push_healthy  # made just now: push may still deliver it


async def test_safety_net_poll_request_budget(
    hass: HomeAssistant, sandbox: Sandbox, push_entry: MockConfigEntry
) -> None:
    """With push and nothing happening: 6 polls an hour read one lock's codes every 3rd poll."""
    coordinator = push_entry.runtime_data
    for _ in range(len(coordinator.data) + 1):
        await coordinator.async_refresh()
    await sandbox.reset_requests()
    for _ in range(6):
        await coordinator.async_refresh()
    requests = await sandbox.requests()
    assert requests == {"/devices/list": 6, "/events/list": 6, "/access_codes/list": 2}


# ------------------------------------------------------------------ 18.11 restored codes sensor


async def test_codes_sensor_restores_its_last_value(
    hass: HomeAssistant,
    sandbox: Sandbox,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After a restart the sensor shows its last value and when it was read, until a read."""
    read_at = "2026-12-01T08:00:00+00:00"
    described = [{"access_code_id": "ac_1", "name": "Guest", "waiting_for_pin": False}]
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(FRONT_DOOR_CODES, "1", {"access_codes": described, "read_at": read_at}),
                {"native_value": 1, "native_unit_of_measurement": None},
            )
        ],
    )
    await sandbox.fault("/access_codes/list", "outage", count=None)
    await setup_integration(hass, mock_config_entry)
    state = hass.states.get(FRONT_DOOR_CODES)
    assert state is not None
    assert state.state == "1"
    assert state.attributes["access_codes"] == described
    assert state.attributes["read_at"] == read_at

    await sandbox.clear_faults()
    coordinator = mock_config_entry.runtime_data
    for _ in coordinator.data:
        await coordinator.async_refresh()
    await hass.async_block_till_done()
    state = hass.states.get(FRONT_DOOR_CODES)
    assert state is not None
    assert state.state == "0"
    assert state.attributes["access_codes"] == []
    assert state.attributes["read_at"] > read_at
    assert logging.getLevelName(logging.ERROR) not in caplog.text


async def test_account_warnings_with_push_cost_no_hourly_request(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    push_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """While push works the accounts are read at setup and after a connected_account event,
    never hourly (the idle request budget); a pushed reauthorization request raises the repair
    without waiting for a poll."""
    from homeassistant.helpers import issue_registry as ir

    account_id = sandbox_state["salto_connected_account_id"]
    issue_id = f"account_reauthorization_requested_{account_id}"
    started = dt_util.utcnow()
    await sandbox.reset_requests()
    for _ in range(8):  # more than an hour of safety-net polls
        await async_poll(hass, freezer, PUSH_POLL_INTERVAL.total_seconds())
    assert "/connected_accounts/list" not in await sandbox.requests()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    # Back to the sandbox's (real) time, so that its signed deliveries are not stale.
    freezer.move_to(started)

    # Seam emits connected_account.reauthorization_requested with the warning: pushed, it makes
    # Home Assistant read the accounts at once (the refresh it requests), without a poll.
    await sandbox.update_connected_account(
        account_id,
        warnings=[{"warning_code": "account_reauthorization_requested", "message": "Reauthorize"}],
    )
    await _until(lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None)
    assert (await sandbox.requests()).get("/connected_accounts/list") == 1
