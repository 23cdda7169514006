"""Tests of the Seam activity event entities (real HTTP against the sandbox)."""

from collections.abc import Iterator
from typing import Any
from unittest.mock import patch

from homeassistant.components.event import ATTR_EVENT_TYPE
from homeassistant.components.lock import DOMAIN as LOCK_DOMAIN, SERVICE_LOCK
from homeassistant.const import (
    ATTR_ENTITY_ID,
    EVENT_STATE_CHANGED,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from tests import async_refresh, setup_integration
from tests.sandbox import Sandbox

FRONT_DOOR_ACTIVITY = "event.front_door_activity"


@pytest.fixture(autouse=True)
def only_events() -> Iterator[None]:
    """Set up the event platform only."""
    with patch("custom_components.seam.PLATFORMS", [Platform.EVENT]):
        yield


def _fired(events: list[Any], entity_id: str) -> list[tuple[str, str | None, str | None]]:
    """(event type, method, access code name) of each event the entity fired."""
    return [
        (
            event.data["new_state"].attributes[ATTR_EVENT_TYPE],
            event.data["new_state"].attributes["method"],
            event.data["new_state"].attributes["access_code_name"],
        )
        for event in events
        if event.data["entity_id"] == entity_id and event.data["new_state"].state != STATE_UNKNOWN
    ]


async def test_event_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """An activity event entity per lock, with the locked and unlocked event types."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_activity_fires_events(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """Each lock / unlock Seam reports fires once, oldest first, with method and code name."""
    coordinator = init_integration.runtime_data
    device_id = sandbox_state["normal_device_id"]
    await sandbox.set_config(salto_code_delay_s=0)
    access_code = await coordinator.client.create_access_code(device_id, "Cleaner")
    states = async_capture_events(hass, EVENT_STATE_CHANGED)

    await sandbox.add_event(
        device_id, "lock.unlocked", method="keycode", access_code_id=access_code.access_code_id
    )
    await sandbox.add_event(device_id, "lock.locked", method="manual")
    # Not lock activity, or not a lock: ignored.
    await sandbox.add_event(
        device_id, "access_code.set_on_device", access_code_id=access_code.access_code_id
    )
    await sandbox.add_event("ecobee_device_1", "lock.unlocked", method="manual")
    await sandbox.reset_requests()
    await async_refresh(hass, init_integration)

    assert _fired(states, FRONT_DOOR_ACTIVITY) == [
        ("unlocked", "keycode", "Cleaner"),
        ("locked", "manual", None),
    ]
    assert {event.data["entity_id"] for event in states} == {FRONT_DOOR_ACTIVITY}
    # One events request for every lock, one access code look-up for the one event with a code.
    requests = await sandbox.requests()
    assert requests["/events/list"] == 1
    assert requests["/access_codes/get"] == 1
    pin = (await coordinator.client.get_access_code(access_code.access_code_id)).code
    assert pin is not None
    assert all(pin not in str(event.data["new_state"].attributes) for event in states)

    # Already reported: the next poll fires nothing.
    states.clear()
    await async_refresh(hass, init_integration)
    assert states == []


async def test_events_read_failure_keeps_locks_and_retries(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """If events cannot be read, the poll still succeeds; the events come with the next one."""
    device_id = sandbox_state["normal_device_id"]
    states = async_capture_events(hass, EVENT_STATE_CHANGED)
    await sandbox.add_event(device_id, "lock.unlocked", method="manual")
    await sandbox.fault("/events/list", "outage", count=1)
    await async_refresh(hass, init_integration)
    assert init_integration.runtime_data.last_update_success
    assert _fired(states, FRONT_DOOR_ACTIVITY) == []

    await async_refresh(hass, init_integration)
    assert _fired(states, FRONT_DOOR_ACTIVITY) == [("unlocked", "manual", None)]


async def test_unknown_access_code(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """An event naming an access code that no longer exists still fires, without a name."""
    states = async_capture_events(hass, EVENT_STATE_CHANGED)
    await sandbox.add_event(
        sandbox_state["normal_device_id"],
        "lock.unlocked",
        method="keycode",
        access_code_id="access_code_deleted",
    )
    await async_refresh(hass, init_integration)
    assert _fired(states, FRONT_DOOR_ACTIVITY) == [("unlocked", "keycode", None)]


async def test_recent_activity_before_setup_sets_changed_by_only(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    mock_config_entry: MockConfigEntry,
) -> None:
    """Activity from just before setup is not fired as new, but the lock knows who did it."""
    await sandbox.add_event(sandbox_state["normal_device_id"], "lock.locked", method="manual")
    with patch("custom_components.seam.PLATFORMS", [Platform.EVENT, Platform.LOCK]):
        await setup_integration(hass, mock_config_entry)
    assert hass.states.get(FRONT_DOOR_ACTIVITY).state == STATE_UNKNOWN
    assert hass.states.get("lock.front_door").attributes["changed_by"] == "manual"


async def test_lock_service_and_event_together(
    hass: HomeAssistant, sandbox_state: dict[str, Any], mock_config_entry: MockConfigEntry
) -> None:
    """Through the lock entity: the event entity fires after the refresh that follows."""
    with (
        patch("custom_components.seam.PLATFORMS", [Platform.EVENT, Platform.LOCK]),
        patch("custom_components.seam.lock.ACTION_POLL_INTERVAL", 0.01),
    ):
        await setup_integration(hass, mock_config_entry)
        states = async_capture_events(hass, EVENT_STATE_CHANGED)
        await hass.services.async_call(
            LOCK_DOMAIN, SERVICE_LOCK, {ATTR_ENTITY_ID: "lock.meeting_room"}, blocking=True
        )
        await hass.async_block_till_done()
    assert _fired(states, "event.meeting_room_activity") == [("locked", "remote", None)]
    assert hass.states.get("lock.meeting_room").attributes["changed_by"] == "remote"


@pytest.mark.parametrize("order", ["desc", "asc"])
async def test_activity_complete_past_the_limit(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    init_integration: MockConfigEntry,
    order: str,
) -> None:
    """1,200 lock events between two polls (Seam answers 500 at a time, in either order):
    every one fires exactly once, oldest first; the next poll fires only newer ones."""
    await sandbox.set_config(events_order=order)
    device_id = sandbox_state["normal_device_id"]
    states = async_capture_events(hass, EVENT_STATE_CHANGED)
    await sandbox.add_events(device_id, "lock.locked", 1200, method="m")
    await sandbox.reset_requests()

    await async_refresh(hass, init_integration)

    fired = [method for _, method, _ in _fired(states, FRONT_DOOR_ACTIVITY)]
    assert fired == [f"m_{index}" for index in range(1200)]
    assert 3 <= (await sandbox.requests())["/events/list"] <= 8

    states.clear()
    await sandbox.add_events(device_id, "lock.unlocked", 3, method="n")
    await async_refresh(hass, init_integration)
    await async_refresh(hass, init_integration)
    assert [method for _, method, _ in _fired(states, FRONT_DOOR_ACTIVITY)] == [
        "n_0",
        "n_1",
        "n_2",
    ]


async def test_access_code_names_cached_and_unmanaged(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """A code's name is looked up once, also for a code made outside Seam (unmanaged)."""
    coordinator = init_integration.runtime_data
    device_id = sandbox_state["normal_device_id"]
    managed = await coordinator.client.create_access_code(device_id, "Cleaner")
    unmanaged_id = await sandbox.add_unmanaged_code(device_id, "Made in the Salto app")
    states = async_capture_events(hass, EVENT_STATE_CHANGED)
    await sandbox.reset_requests()

    for _ in range(3):
        await sandbox.add_event(
            device_id, "lock.unlocked", method="keycode", access_code_id=managed.access_code_id
        )
    await sandbox.add_event(
        device_id,
        "lock.unlocked",
        method="keycode",
        access_code_id=unmanaged_id,
        access_code_is_managed=False,
    )
    await async_refresh(hass, init_integration)
    await sandbox.add_event(
        device_id, "lock.unlocked", method="keycode", access_code_id=managed.access_code_id
    )
    await async_refresh(hass, init_integration)

    names = [name for _, _, name in _fired(states, FRONT_DOOR_ACTIVITY)]
    assert names == ["Cleaner"] * 3 + ["Made in the Salto app", "Cleaner"]
    requests = await sandbox.requests()
    assert requests["/access_codes/get"] == 1
    assert requests["/access_codes/unmanaged/get"] == 1
