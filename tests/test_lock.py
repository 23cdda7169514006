"""Tests of the Seam lock entities (real HTTP against the sandbox)."""

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from homeassistant.components.lock import (
    DOMAIN as LOCK_DOMAIN,
    SERVICE_LOCK,
    SERVICE_UNLOCK,
    LockState,
)
from homeassistant.const import (
    ATTR_ENTITY_ID,
    EVENT_STATE_CHANGED,
    STATE_UNAVAILABLE,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.seam.const import DOMAIN
from custom_components.seam.seam_api import Device
from tests import async_refresh, setup_integration
from tests.sandbox import Sandbox

FRONT_DOOR = "lock.front_door"
MEETING_ROOM = "lock.meeting_room"
SERVER_ROOM = "lock.server_room"
BACK_OFFICE = "lock.back_office"


@pytest.fixture(autouse=True)
def only_locks() -> Iterator[None]:
    """Set up the lock platform only; poll action attempts quickly."""
    with (
        patch("custom_components.seam.PLATFORMS", [Platform.LOCK]),
        patch("custom_components.seam.lock.ACTION_POLL_INTERVAL", 0.01),
    ):
        yield


async def _async_call(hass: HomeAssistant, service: str, entity_id: str) -> None:
    await hass.services.async_call(LOCK_DOMAIN, service, {ATTR_ENTITY_ID: entity_id}, blocking=True)


async def _async_seam_device(entry: MockConfigEntry, device_id: str) -> Device:
    """The device as Seam has it now (read over HTTP, not from the coordinator)."""
    device: Device = await entry.runtime_data.client.get_device(device_id)
    return device


async def test_locks(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """Every lock: named after its device, locked / unlocked, unavailable while offline."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_lock_and_unlock(
    hass: HomeAssistant, sandbox_state: dict[str, Any], init_integration: MockConfigEntry
) -> None:
    """Lock and unlock through Seam; the state follows the action attempt's result."""
    assert hass.states.get(MEETING_ROOM).state == LockState.UNLOCKED
    await _async_call(hass, SERVICE_LOCK, MEETING_ROOM)
    assert hass.states.get(MEETING_ROOM).state == LockState.LOCKED
    device = await _async_seam_device(init_integration, sandbox_state["small_code_limit_device_id"])
    assert device.locked is True

    await _async_call(hass, SERVICE_UNLOCK, FRONT_DOOR)
    assert hass.states.get(FRONT_DOOR).state == LockState.UNLOCKED
    device = await _async_seam_device(init_integration, sandbox_state["normal_device_id"])
    assert device.locked is False

    # The refresh after the action confirms it: the state stays.
    await async_refresh(hass, init_integration)
    assert hass.states.get(FRONT_DOOR).state == LockState.UNLOCKED
    assert hass.states.get(MEETING_ROOM).state == LockState.LOCKED


async def test_later_changes_win_over_the_action_result(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """After an unlock, the lock follows Seam again, even back to the very same device data."""
    await _async_call(hass, SERVICE_UNLOCK, FRONT_DOOR)
    await async_refresh(hass, init_integration)
    assert hass.states.get(FRONT_DOOR).state == LockState.UNLOCKED

    await sandbox.update_device(sandbox_state["normal_device_id"], properties={"locked": True})
    await async_refresh(hass, init_integration)
    assert hass.states.get(FRONT_DOOR).state == LockState.LOCKED


async def test_pending_then_success(
    hass: HomeAssistant, sandbox: Sandbox, init_integration: MockConfigEntry
) -> None:
    """While Seam's action attempt is pending the lock shows unlocking, then unlocked."""
    await sandbox.set_config(action_attempt_delay_s=0.2)
    states = async_capture_events(hass, EVENT_STATE_CHANGED)
    task = hass.async_create_task(_async_call(hass, SERVICE_UNLOCK, FRONT_DOOR))
    await asyncio.sleep(0.1)
    assert hass.states.get(FRONT_DOOR).state == LockState.UNLOCKING
    await task
    # Unlocking, unlocked from the attempt's result, then the refresh adds who did it.
    assert [
        (event.data["new_state"].state, event.data["new_state"].attributes.get("changed_by"))
        for event in states
    ] == [
        (LockState.UNLOCKING, None),
        (LockState.UNLOCKED, None),
        (LockState.UNLOCKED, "remote"),
    ]


async def test_locks_run_side_by_side_one_action_per_lock_at_a_time(
    hass: HomeAssistant, sandbox: Sandbox, init_integration: MockConfigEntry
) -> None:
    """One call on several locks takes about one attempt's time; one lock runs one at a time."""
    delay = 1.0
    await sandbox.set_config(action_attempt_delay_s=delay)
    loop = asyncio.get_running_loop()

    started = loop.time()
    await hass.services.async_call(
        LOCK_DOMAIN, SERVICE_UNLOCK, {ATTR_ENTITY_ID: [FRONT_DOOR, MEETING_ROOM]}, blocking=True
    )
    assert loop.time() - started < 1.6 * delay  # one after the other would take 2 x delay
    assert hass.states.get(FRONT_DOOR).state == LockState.UNLOCKED
    assert hass.states.get(MEETING_ROOM).state == LockState.UNLOCKED

    # Two calls on the same lock: the second attempt starts once the first finished.
    started = loop.time()
    await asyncio.gather(
        _async_call(hass, SERVICE_LOCK, FRONT_DOOR), _async_call(hass, SERVICE_UNLOCK, FRONT_DOOR)
    )
    assert loop.time() - started >= 2 * delay
    assert hass.states.get(FRONT_DOOR).state == LockState.UNLOCKED


async def test_pending_lock_shows_locking(
    hass: HomeAssistant, sandbox: Sandbox, init_integration: MockConfigEntry
) -> None:
    """Locking shows locking while pending, then locked."""
    await sandbox.set_config(action_attempt_delay_s=0.1)
    task = hass.async_create_task(_async_call(hass, SERVICE_LOCK, MEETING_ROOM))
    await asyncio.sleep(0)
    assert hass.states.get(MEETING_ROOM).state == LockState.LOCKING
    await task
    assert hass.states.get(MEETING_ROOM).state == LockState.LOCKED


@pytest.mark.parametrize(
    ("service", "entity_id"), [(SERVICE_UNLOCK, FRONT_DOOR), (SERVICE_LOCK, MEETING_ROOM)]
)
async def test_failed_attempt(
    hass: HomeAssistant,
    sandbox: Sandbox,
    init_integration: MockConfigEntry,
    service: str,
    entity_id: str,
) -> None:
    """A failed action attempt raises a translated error with Seam's reason; the state stays."""
    previous = hass.states.get(entity_id).state
    await sandbox.fault(
        f"/locks/{service}_door",
        "attempt_error",
        error_type="lock_jammed",
        message="The bolt is jammed",
    )
    with pytest.raises(HomeAssistantError) as err:
        await _async_call(hass, service, entity_id)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "action_attempt_failed"
    assert "The bolt is jammed" in str(err.value)
    assert hass.states.get(entity_id).name in str(err.value)
    assert hass.states.get(entity_id).state == previous


@pytest.mark.parametrize(
    ("service", "entity_id"), [(SERVICE_UNLOCK, FRONT_DOOR), (SERVICE_LOCK, MEETING_ROOM)]
)
async def test_attempt_still_pending_times_out(
    hass: HomeAssistant,
    sandbox: Sandbox,
    init_integration: MockConfigEntry,
    service: str,
    entity_id: str,
) -> None:
    """Seam never confirming the action raises a translated error."""
    await sandbox.fault(f"/locks/{service}_door", "attempt_pending")
    with (
        patch("custom_components.seam.lock.ACTION_TIMEOUT", 0.1),
        pytest.raises(HomeAssistantError) as err,
    ):
        await _async_call(hass, service, entity_id)
    assert err.value.translation_key == "action_attempt_timeout"
    assert "did not confirm in time" in str(err.value)
    assert hass.states.get(entity_id).name in str(err.value)
    assert hass.states.get(entity_id).state not in (LockState.LOCKING, LockState.UNLOCKING)


async def test_request_error(
    hass: HomeAssistant, sandbox: Sandbox, init_integration: MockConfigEntry
) -> None:
    """Seam failing to take the request raises a translated error."""
    await sandbox.fault("/locks/unlock_door", "outage")
    with pytest.raises(HomeAssistantError) as err:
        await _async_call(hass, SERVICE_UNLOCK, FRONT_DOOR)
    assert err.value.translation_key == "seam_unavailable"
    assert "Could not reach Seam about Front Door" in str(err.value)
    assert hass.states.get(FRONT_DOOR).state == LockState.LOCKED


@pytest.mark.parametrize("service", [SERVICE_UNLOCK, SERVICE_LOCK])
async def test_not_remotely_operable(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    mock_config_entry: MockConfigEntry,
    service: str,
) -> None:
    """A lock Seam cannot operate remotely explains the Salto KS waiver; nothing is sent."""
    # The seeded Server Room lock cannot be unlocked remotely; make it unlockable-only too.
    await sandbox.update_device(
        sandbox_state["no_remote_unlock_device_id"], can_remotely_lock=service != SERVICE_LOCK
    )
    await setup_integration(hass, mock_config_entry)
    await sandbox.reset_requests()

    with pytest.raises(ServiceValidationError) as err:
        await _async_call(hass, service, SERVER_ROOM)
    assert err.value.translation_key == f"cannot_remotely_{service}_salto"
    assert "Server Room cannot be" in str(err.value)
    assert "pass-through waiver" in str(err.value)
    assert "contact Seam to configure your IQ hubs" in str(err.value)
    assert await sandbox.requests() == {}
    assert hass.states.get(SERVER_ROOM).state == LockState.LOCKED


@pytest.mark.parametrize(
    ("flag", "key", "reason"),
    [
        (False, "cannot_remotely_unlock", "right now"),
        (None, "no_remote_unlock", "reports no remote unlocking"),
    ],
    ids=["not_functional_now", "no_such_capability"],
)
async def test_not_remotely_unlockable_other_brand(
    hass: HomeAssistant,
    sandbox: Sandbox,
    mock_config_entry: MockConfigEntry,
    *,
    flag: bool | None,
    key: str,
    reason: str,
) -> None:
    """can_remotely_unlock false (not working now) and absent (no such capability) differ.

    Neither mentions Salto's pass-through waiver on a lock of another brand.
    """
    await sandbox.update_device("august_device_1", can_remotely_unlock=flag)
    await setup_integration(hass, mock_config_entry)
    await sandbox.reset_requests()

    with pytest.raises(ServiceValidationError) as err:
        await _async_call(hass, SERVICE_UNLOCK, "lock.garage_entry")
    assert err.value.translation_key == key
    assert reason in str(err.value)
    assert "waiver" not in str(err.value)
    assert await sandbox.requests() == {}


async def test_offline_lock_unavailable_until_back(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """A lock is unavailable while its device is offline and comes back with it."""
    assert hass.states.get(BACK_OFFICE).state == STATE_UNAVAILABLE
    await sandbox.update_device(sandbox_state["offline_device_id"], properties={"online": True})
    await async_refresh(hass, init_integration)
    assert hass.states.get(BACK_OFFICE).state == LockState.LOCKED

    await sandbox.update_device(sandbox_state["normal_device_id"], properties={"online": False})
    await async_refresh(hass, init_integration)
    assert hass.states.get(FRONT_DOOR).state == STATE_UNAVAILABLE


async def test_state_change_reported_by_seam(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """A lock operated outside Home Assistant shows its new state after the next poll."""
    await sandbox.update_device(sandbox_state["normal_device_id"], properties={"locked": False})
    await async_refresh(hass, init_integration)
    assert hass.states.get(FRONT_DOOR).state == LockState.UNLOCKED


async def test_changed_by_from_activity(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """changed_by names the access code used, else how the lock was operated."""
    coordinator = init_integration.runtime_data
    device_id = sandbox_state["normal_device_id"]
    assert "changed_by" not in hass.states.get(FRONT_DOOR).attributes
    await sandbox.set_config(salto_code_delay_s=0)
    access_code = await coordinator.client.create_access_code(device_id, "Cleaner")

    await sandbox.add_event(
        device_id, "lock.unlocked", method="keycode", access_code_id=access_code.access_code_id
    )
    await async_refresh(hass, init_integration)
    state = hass.states.get(FRONT_DOOR)
    assert state.attributes["changed_by"] == "Cleaner"
    pin = (await coordinator.client.get_access_code(access_code.access_code_id)).code
    assert pin is not None
    assert pin not in str(state.attributes)

    await sandbox.add_event(device_id, "lock.locked", method="manual")
    await async_refresh(hass, init_integration)
    assert hass.states.get(FRONT_DOOR).attributes["changed_by"] == "manual"


async def test_salto_unlock_stays_until_seam_reports_otherwise(
    hass: HomeAssistant, sandbox: Sandbox, init_integration: MockConfigEntry
) -> None:
    """Without the relock assumption (the sandbox's default: no Seam document describes a
    momentary Salto KS web unlock), an unlocked Salto lock stays unlocked over polls."""
    await _async_call(hass, SERVICE_UNLOCK, FRONT_DOOR)
    assert hass.states.get(FRONT_DOOR).state == LockState.UNLOCKED

    await asyncio.sleep(0.7)
    await async_refresh(hass, init_integration)
    assert hass.states.get(FRONT_DOOR).state == LockState.UNLOCKED
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=16))
    await hass.async_block_till_done()
    assert hass.states.get(FRONT_DOOR).state == LockState.UNLOCKED

    await _async_call(hass, SERVICE_LOCK, FRONT_DOOR)
    assert hass.states.get(FRONT_DOOR).state == LockState.LOCKED


async def test_salto_momentary_unlock_shows_unlocked_then_locked(
    hass: HomeAssistant, sandbox: Sandbox, init_integration: MockConfigEntry
) -> None:
    """With the sandbox's relock assumption (salto_relock_after_s): unlocked, then locked
    again at the next poll."""
    await sandbox.set_config(salto_relock_after_s=0.5)

    await _async_call(hass, SERVICE_UNLOCK, FRONT_DOOR)
    assert hass.states.get(FRONT_DOOR).state == LockState.UNLOCKED

    await asyncio.sleep(0.7)
    await async_refresh(hass, init_integration)
    assert hass.states.get(FRONT_DOOR).state == LockState.LOCKED


async def test_unlock_never_reported_is_assumed_for_a_bounded_time(
    hass: HomeAssistant, sandbox: Sandbox, init_integration: MockConfigEntry
) -> None:
    """A lock that never reports itself unlocked: unlocked is assumed, then Seam's state."""
    await sandbox.set_unlock_behavior("salto_lock_front_door", None)

    await _async_call(hass, SERVICE_UNLOCK, FRONT_DOOR)
    assert hass.states.get(FRONT_DOOR).state == LockState.UNLOCKED
    # Seam still reports it locked, and nothing newer: the command's result stays for now.
    await async_refresh(hass, init_integration)
    assert hass.states.get(FRONT_DOOR).state == LockState.UNLOCKED

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=16))
    await hass.async_block_till_done()
    assert hass.states.get(FRONT_DOOR).state == LockState.LOCKED


async def test_relock_event_ends_the_assumed_state(
    hass: HomeAssistant, sandbox: Sandbox, init_integration: MockConfigEntry
) -> None:
    """Seam reporting the lock locked after the unlock command ends the assumed unlocked."""
    await sandbox.set_unlock_behavior("salto_lock_front_door", None)
    await _async_call(hass, SERVICE_UNLOCK, FRONT_DOOR)
    assert hass.states.get(FRONT_DOOR).state == LockState.UNLOCKED

    await sandbox.add_event("salto_lock_front_door", "lock.locked", method="automatic")
    await async_refresh(hass, init_integration)
    assert hass.states.get(FRONT_DOOR).state == LockState.LOCKED
