"""Tests of setting up, polling and unloading the Seam integration (against the sandbox)."""

import logging
import math
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.lock import LockState
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import (
    CONF_API_KEY,
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.seam.const import CONF_API_URL, CONF_POLL_INTERVAL, DOMAIN
from custom_components.seam.entity import SeamEntity
from custom_components.seam.event import SeamActivityEvent
from custom_components.seam.sensor import SeamAccessCodesSensor
from tests import async_poll, setup_integration
from tests.sandbox import Sandbox

FRONT_DOOR = "lock.front_door"
FRONT_DOOR_BATTERY = "sensor.front_door_battery"


async def test_setup_and_unload(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """The entry loads with the locks' entities and unloads cleanly."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.states.get(FRONT_DOOR).state == LockState.LOCKED

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get(FRONT_DOOR).state == STATE_UNAVAILABLE


async def test_devices(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
    sandbox_state: dict[str, Any],
) -> None:
    """A device per lock (none for the thermostat and the noise sensor), under the workspace."""
    devices = dr.async_entries_for_config_entry(device_registry, init_integration.entry_id)
    workspace = device_registry.async_get_device_by_identifier(
        (DOMAIN, sandbox_state["workspace_id"]), init_integration.entry_id
    )
    assert workspace is not None
    assert workspace.entry_type is dr.DeviceEntryType.SERVICE
    lock_ids = {sandbox_state["workspace_id"]}
    lock_ids.update(sandbox_state["salto_device_ids"], sandbox_state["other_lock_device_ids"])
    assert {next(iter(device.identifiers))[1] for device in devices} == lock_ids
    for device in sorted(devices, key=lambda device: sorted(device.identifiers)):
        if device.id != workspace.id:
            assert device.via_device_id == workspace.id
        assert device == snapshot(name=next(iter(device.identifiers))[1])


async def test_entities_on_their_lock_device(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
    sandbox_state: dict[str, Any],
) -> None:
    """Every entity of a lock, enabled or not, is on that lock's device (made once per lock)."""
    entries = er.async_entries_for_config_entry(entity_registry, init_integration.entry_id)
    lock_ids = {*sandbox_state["salto_device_ids"], *sandbox_state["other_lock_device_ids"]}
    seen_locks: set[str] = set()
    for entry in entries:
        lock_id = entry.unique_id.rpartition("-")[0]
        assert entry.device_id is not None, entry.entity_id
        device = device_registry.async_get(entry.device_id)
        assert device is not None
        assert device.identifiers == {(DOMAIN, lock_id)}, entry.entity_id
        seen_locks.add(lock_id)
    assert seen_locks == lock_ids
    disabled = [
        entry for entry in entries if entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    ]
    assert {entry.entity_id.rpartition("_")[2] for entry in disabled} == {"connectivity"}
    assert len(disabled) == len(lock_ids)


@pytest.mark.parametrize(
    ("route", "kind"),
    [
        ("/workspaces/get", "outage"),
        ("/devices/list", "outage"),
        ("/devices/list", "malformed"),
        ("/devices/list", "rate_limit"),
    ],
)
async def test_setup_retry(
    hass: HomeAssistant,
    sandbox: Sandbox,
    mock_config_entry: MockConfigEntry,
    route: str,
    kind: str,
) -> None:
    """Seam unreachable or failing at setup: Home Assistant retries the entry later."""
    await sandbox.fault(route, kind)
    await setup_integration(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


@pytest.mark.parametrize("route", ["/workspaces/get", "/devices/list"])
async def test_setup_auth_failed_starts_reauth(
    hass: HomeAssistant, sandbox: Sandbox, mock_config_entry: MockConfigEntry, route: str
) -> None:
    """A rejected API key at setup fails the entry and starts the reauth flow."""
    await sandbox.fault(route, "unauthorized")
    await setup_integration(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == mock_config_entry.entry_id


@pytest.mark.parametrize("route", ["/devices/list", "/events/list"])
async def test_auth_failed_while_polling_starts_reauth(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sandbox: Sandbox,
    init_integration: MockConfigEntry,
    route: str,
) -> None:
    """A key revoked later makes the locks unavailable and starts the reauth flow."""
    await sandbox.fault(route, "unauthorized")
    await async_poll(hass, freezer, 30)
    assert hass.states.get(FRONT_DOOR).state == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_polls_every_30_seconds_without_push(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    mock_config_entry: MockConfigEntry,
) -> None:
    """Without a URL Seam can call (no push), Seam is polled every 30 seconds."""
    await setup_integration(hass, mock_config_entry)
    await sandbox.update_device(sandbox_state["normal_device_id"], properties={"locked": False})

    await async_poll(hass, freezer, 20)
    assert hass.states.get(FRONT_DOOR).state == LockState.LOCKED
    await async_poll(hass, freezer, 10)
    assert hass.states.get(FRONT_DOOR).state == LockState.UNLOCKED


async def test_migrates_the_poll_interval_option_away(
    hass: HomeAssistant, sandbox: Sandbox, sandbox_state: dict[str, Any]
) -> None:
    """An entry of version 1.1 loses its user-set poll interval and becomes 1.2."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=sandbox_state["workspace_id"],
        data={CONF_API_KEY: sandbox.api_key, CONF_API_URL: sandbox.url},
        options={CONF_POLL_INTERVAL: 120},
        version=1,
        minor_version=1,
    )
    await setup_integration(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, 2)
    assert entry.options == {}


async def test_refuses_an_entry_of_a_newer_version(
    hass: HomeAssistant, sandbox: Sandbox, sandbox_state: dict[str, Any]
) -> None:
    """An entry from a newer version of the integration is not downgraded."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=sandbox_state["workspace_id"],
        data={CONF_API_KEY: sandbox.api_key, CONF_API_URL: sandbox.url},
        version=2,
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


async def test_unavailable_and_recovery_logged_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sandbox: Sandbox,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An outage makes every entity unavailable, logged once; recovery is logged once too."""
    caplog.set_level(logging.INFO, logger="custom_components.seam")
    await sandbox.fault("/devices/list", "outage")
    for _ in range(3):
        await async_poll(hass, freezer, 30)
        assert hass.states.get(FRONT_DOOR).state == STATE_UNAVAILABLE
        assert hass.states.get(FRONT_DOOR_BATTERY).state == STATE_UNAVAILABLE
    failures = [r for r in caplog.records if r.getMessage().startswith("Error fetching seam data")]
    assert len(failures) == 1
    assert failures[0].levelno == logging.ERROR
    assert "Could not update the locks from Seam: " in failures[0].getMessage()

    await sandbox.clear_faults()
    for _ in range(2):
        await async_poll(hass, freezer, 30)
        assert hass.states.get(FRONT_DOOR).state == LockState.LOCKED
        assert hass.states.get(FRONT_DOOR_BATTERY).state == "86"
    recoveries = [r for r in caplog.records if r.getMessage() == "Fetching seam data recovered"]
    assert len(recoveries) == 1


async def test_rate_limit_backs_off_for_retry_after(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sandbox: Sandbox,
    init_integration: MockConfigEntry,
) -> None:
    """A 429 with Retry-After delays the next poll by that long instead of the interval."""
    await sandbox.fault("/devices/list", "rate_limit", retry_after=300, count=1)
    await sandbox.reset_requests()
    await async_poll(hass, freezer, 30)
    assert hass.states.get(FRONT_DOOR).state == STATE_UNAVAILABLE
    assert (await sandbox.requests()).get("/devices/list") == 1

    # The regular interval passes several times: no request while backing off.
    for _ in range(9):
        await async_poll(hass, freezer, 30)
    assert (await sandbox.requests()).get("/devices/list") == 1
    assert hass.states.get(FRONT_DOOR).state == STATE_UNAVAILABLE

    await async_poll(hass, freezer, 31)
    assert (await sandbox.requests()).get("/devices/list") == 2
    assert hass.states.get(FRONT_DOOR).state == LockState.LOCKED


async def test_one_request_per_500_devices(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """A poll lists the devices 500 at a time, reads events once and one lock's access codes."""
    # 1000 more devices that are not locks (no entities, so the test stays fast).
    await sandbox.add_devices(
        1000,
        device_type="august_lock",
        can_remotely_lock=False,
        can_remotely_unlock=False,
        properties={"locked": None},
    )
    await sandbox.reset_requests()
    await async_poll(hass, freezer, 30)
    pages = math.ceil((sandbox_state["device_count"] + 1000) / 500)
    assert pages == 3
    assert await sandbox.requests() == {
        "/devices/list": pages,
        "/events/list": 1,
        "/access_codes/list": 1,
    }


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_unchanged_poll_writes_no_state(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """A poll that finds the locks unchanged writes no state; a change writes only its entity."""
    writes: list[str] = []

    @callback
    def _record(event: Event[Any]) -> None:
        writes.append(event.data["entity_id"])

    @callback
    def _any(event_data: Any) -> bool:
        return True

    # One poll per lock: each lock's access codes were read once (unknown -> their number).
    for _ in init_integration.runtime_data.data:
        await async_poll(hass, freezer, 30)
    hass.bus.async_listen(EVENT_STATE_CHANGED, _record)
    hass.bus.async_listen(EVENT_STATE_REPORTED, _record, event_filter=_any)

    await async_poll(hass, freezer, 30)
    await async_poll(hass, freezer, 30)
    assert writes == []

    await sandbox.update_device(
        sandbox_state["normal_device_id"], properties={"battery_level": 0.5}
    )
    await async_poll(hass, freezer, 30)
    # The lock device changed, so each of its entities that shows device data is written once.
    assert sorted(writes) == [
        "binary_sensor.front_door_connectivity",
        "binary_sensor.front_door_problem",
        FRONT_DOOR,
        FRONT_DOOR_BATTERY,
    ]
    assert hass.states.get(FRONT_DOOR_BATTERY).state == "50"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_poll_calls_only_the_changed_locks_entities(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    mock_config_entry: MockConfigEntry,
) -> None:
    """A poll calls only the entities of the lock that changed; outage and recovery call all."""
    calls: list[tuple[str, str]] = []
    handle_coordinator_update = SeamEntity._handle_coordinator_update

    @callback
    def _record(self: SeamEntity) -> None:
        calls.append((self.device_id, self.entity_id))
        handle_coordinator_update(self)

    handle_event_update = SeamActivityEvent._handle_coordinator_update

    @callback
    def _record_event(self: SeamActivityEvent) -> None:
        calls.append((self.device_id, self.entity_id))
        handle_event_update(self)

    handle_codes_update = SeamAccessCodesSensor._handle_coordinator_update

    @callback
    def _record_codes(self: SeamAccessCodesSensor) -> None:
        calls.append((self.device_id, self.entity_id))
        handle_codes_update(self)

    with (
        patch.object(SeamEntity, "_handle_coordinator_update", _record),
        patch.object(SeamActivityEvent, "_handle_coordinator_update", _record_event),
        patch.object(SeamAccessCodesSensor, "_handle_coordinator_update", _record_codes),
    ):
        await setup_integration(hass, mock_config_entry)
        entity_ids = sorted(
            entry.entity_id
            for entry in er.async_entries_for_config_entry(
                er.async_get(hass), mock_config_entry.entry_id
            )
        )
        assert len(mock_config_entry.runtime_data.data) > 3
        front_door = sandbox_state["normal_device_id"]
        front_door_entities = [entity_id for entity_id in entity_ids if "front_door" in entity_id]
        # Lock, battery, access codes, connectivity, problem, activity (no door: Seam reports
        # no door_open for Salto KS locks).
        assert len(front_door_entities) == 6

        await async_poll(hass, freezer, 30)
        assert calls == []

        # One lock changes at Seam: only its entities are called.
        await sandbox.update_device(front_door, properties={"locked": False})
        await async_poll(hass, freezer, 30)
        assert sorted(calls) == [(front_door, entity_id) for entity_id in front_door_entities]
        assert hass.states.get(FRONT_DOOR).state == LockState.UNLOCKED

        # New activity alone reaches that lock's entities too (the event entity fires it).
        calls.clear()
        await sandbox.add_event(front_door, "lock.locked", method="manual")
        await async_poll(hass, freezer, 30)
        assert sorted(calls) == [(front_door, entity_id) for entity_id in front_door_entities]
        assert hass.states.get("event.front_door_activity").attributes["method"] == "manual"

        # An outage and the recovery reach every entity, once each.
        def _unavailable() -> list[str]:
            return [e for e in entity_ids if hass.states.get(e).state == STATE_UNAVAILABLE]

        offline = _unavailable()  # the offline lock's
        assert offline
        for fault in (True, False):
            calls.clear()
            await (sandbox.fault("/devices/list", "outage") if fault else sandbox.clear_faults())
            await async_poll(hass, freezer, 30)
            assert sorted(entity_id for _, entity_id in calls) == entity_ids
            assert _unavailable() == (entity_ids if fault else offline)
        assert hass.states.get(FRONT_DOOR).state == LockState.UNLOCKED

        calls.clear()
        await async_poll(hass, freezer, 30)
        assert calls == []


async def test_listener_without_context_and_failing_listener(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sandbox: Sandbox,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A listener without a context hears of every change; one that fails stops no other."""

    @callback
    def _fail() -> None:
        raise RuntimeError("boom")

    lock = er.async_get(hass).async_get(FRONT_DOOR)
    assert lock is not None
    device_id = lock.unique_id.removesuffix("-lock")
    coordinator = init_integration.runtime_data
    coordinator.async_add_listener(_fail)  # no context: the base class calls it
    coordinator.async_add_listener(_fail, device_id)  # the lock's: the coordinator calls it
    await sandbox.update_device(device_id, properties={"locked": False})
    await async_poll(hass, freezer, 30)
    assert "Unexpected error updating listener" in caplog.text
    assert "Unexpected error updating a listener of seam" in caplog.text
    assert hass.states.get(FRONT_DOOR).state == LockState.UNLOCKED


async def test_lock_reporting_no_state_stays(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """A poll in which a lock reports no state and no remote operation keeps the lock."""
    device_id = sandbox_state["normal_device_id"]
    await sandbox.update_device(
        device_id,
        can_remotely_lock=False,
        can_remotely_unlock=False,
        properties={"locked": None},
    )
    await async_poll(hass, freezer, 30)

    assert hass.states.get(FRONT_DOOR).state == STATE_UNKNOWN
    assert hass.states.get(FRONT_DOOR_BATTERY) is not None
    assert dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, device_id), init_integration.entry_id
    )


async def test_new_and_removed_locks(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """A lock that appears gets its entities without a reload; a lock that goes is removed."""
    device_registry = dr.async_get(hass)
    [new_id] = await sandbox.add_devices(1, name="Garage")
    await sandbox.remove_device(sandbox_state["normal_device_id"])
    await async_poll(hass, freezer, 30)

    assert hass.states.get("lock.garage").state == LockState.LOCKED
    assert hass.states.get("sensor.garage_battery").state == "86"
    assert hass.states.get("event.garage_activity") is not None
    entry_id = init_integration.entry_id
    assert device_registry.async_get_device_by_identifier((DOMAIN, new_id), entry_id)
    removed_id = sandbox_state["normal_device_id"]
    assert device_registry.async_get_device_by_identifier((DOMAIN, removed_id), entry_id) is None
    assert hass.states.get(FRONT_DOOR) is None
    assert hass.states.get(FRONT_DOOR_BATTERY) is None
    assert init_integration.state is ConfigEntryState.LOADED


async def test_lock_gone_while_home_assistant_was_off(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    mock_config_entry: MockConfigEntry,
) -> None:
    """At setup, a lock device Seam no longer reports is removed from the registry."""
    mock_config_entry.add_to_hass(hass)
    stale = device_registry.async_get_or_create(
        config_entry_id=mock_config_entry.entry_id,
        identifiers={(DOMAIN, "salto_lock_uninstalled")},
        name="Uninstalled",
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert device_registry.async_get(stale.id) is None


async def test_remove_config_entry_device(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    device_registry: dr.DeviceRegistry,
    sandbox_state: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """The user may delete a device Seam no longer reports, not a current lock or the workspace."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    stale = device_registry.async_get_or_create(
        config_entry_id=init_integration.entry_id,
        identifiers={(DOMAIN, "salto_lock_uninstalled")},
        name="Uninstalled",
    )

    async def _remove(device_id: str) -> bool:
        await client.send_json_auto_id(
            {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": init_integration.entry_id,
                "device_id": device_id,
            }
        )
        response = await client.receive_json()
        return bool(response["success"])

    for kept in (sandbox_state["normal_device_id"], sandbox_state["workspace_id"]):
        device = device_registry.async_get_device_by_identifier(
            (DOMAIN, kept), init_integration.entry_id
        )
        assert device is not None
        assert not await _remove(device.id)
        assert device_registry.async_get(device.id) is not None

    assert await _remove(stale.id)
    assert device_registry.async_get(stale.id) is None


async def test_remove_device_while_setup_retries(
    *,
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    device_registry: dr.DeviceRegistry,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """While Seam is unreachable (setup retries) a lock may be deleted, not the workspace."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    await sandbox.fault("/workspaces/get", "outage")
    await hass.config_entries.async_reload(init_integration.entry_id)
    assert init_integration.state is ConfigEntryState.SETUP_RETRY

    async def _remove(identifier: str) -> bool:
        device = device_registry.async_get_device_by_identifier(
            (DOMAIN, identifier), init_integration.entry_id
        )
        assert device is not None
        await client.send_json_auto_id(
            {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": init_integration.entry_id,
                "device_id": device.id,
            }
        )
        response = await client.receive_json()
        return bool(response["success"])

    assert not await _remove(sandbox_state["workspace_id"])
    assert await _remove(sandbox_state["normal_device_id"])
