"""Tests of the Seam binary sensors: door, connectivity and problem (real HTTP, sandbox)."""

from collections.abc import Iterator
from typing import Any
from unittest.mock import patch

from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from tests import async_refresh
from tests.sandbox import Sandbox


@pytest.fixture(autouse=True)
def only_binary_sensors() -> Iterator[None]:
    """Set up the binary sensor platform only."""
    with patch("custom_components.seam.PLATFORMS", [Platform.BINARY_SENSOR]):
        yield


@pytest.fixture
async def salto_door_open(sandbox: Sandbox) -> None:
    """Turn on the sandbox's assumption that Salto KS locks report their door (no Seam document
    shows door_open for them): Front Door closed, Meeting Room open. Before the integration
    starts."""
    await sandbox.set_config(salto_door_open=True)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_binary_sensors(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """Door (only for locks that report it), connectivity and problem per lock."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_connectivity_disabled_by_default(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    sandbox_state: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """Every lock's connectivity sensor is disabled by default, no other; enabled, it works."""
    entries = er.async_entries_for_config_entry(entity_registry, init_integration.entry_id)
    connectivity = [entry for entry in entries if entry.unique_id.endswith("-connectivity")]
    locks = [*sandbox_state["salto_device_ids"], *sandbox_state["other_lock_device_ids"]]
    assert len(connectivity) == len(locks)
    for entry in connectivity:
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        assert hass.states.get(entry.entity_id) is None
    assert {entry.disabled_by for entry in entries if entry not in connectivity} == {None}

    entity_id = "binary_sensor.front_door_connectivity"
    entity_registry.async_update_entity(entity_id, disabled_by=None)
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(entity_id).state == STATE_ON


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_door_only_where_reported(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """No lock reports its door (the sandbox's default, as Seam documents Salto KS locks)."""
    assert hass.states.get("binary_sensor.front_door_door") is None
    assert hass.states.get("binary_sensor.meeting_room_door") is None
    assert hass.states.get("binary_sensor.garage_entry_door") is None
    assert hass.states.get("binary_sensor.garage_entry_connectivity").state == STATE_ON
    assert hass.states.get("binary_sensor.front_door_problem") is not None


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "salto_door_open")
async def test_door_where_salto_reports_it(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """With the door assumption, the Salto locks have a door sensor; August/Schlage do not."""
    assert hass.states.get("binary_sensor.front_door_door").state == STATE_OFF
    assert hass.states.get("binary_sensor.meeting_room_door").state == STATE_ON
    assert hass.states.get("binary_sensor.garage_entry_door") is None


@pytest.mark.usefixtures("salto_door_open")
async def test_door_opens(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """The door sensor follows door_open."""
    await sandbox.update_device(sandbox_state["normal_device_id"], properties={"door_open": True})
    await async_refresh(hass, init_integration)
    assert hass.states.get("binary_sensor.front_door_door").state == STATE_ON


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.usefixtures("salto_door_open")
async def test_connectivity_available_while_offline(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """An offline lock's connectivity reads off (not unavailable); its other sensors are."""
    assert hass.states.get("binary_sensor.back_office_connectivity").state == STATE_OFF
    assert hass.states.get("binary_sensor.back_office_door").state == STATE_UNAVAILABLE
    assert hass.states.get("binary_sensor.back_office_problem").state == STATE_UNAVAILABLE

    await sandbox.update_device(sandbox_state["offline_device_id"], properties={"online": True})
    await async_refresh(hass, init_integration)
    assert hass.states.get("binary_sensor.back_office_connectivity").state == STATE_ON
    assert hass.states.get("binary_sensor.back_office_door").state == STATE_OFF

    # When Seam itself cannot be reached, connectivity is unknown: unavailable.
    await sandbox.fault("/devices/list", "outage")
    await async_refresh(hass, init_integration)
    assert hass.states.get("binary_sensor.back_office_connectivity").state == STATE_UNAVAILABLE


async def test_problem_lists_seam_errors_and_warnings(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """Seam's device errors and warnings turn the problem sensor on and are listed by code."""
    entity_id = "binary_sensor.front_door_problem"
    state = hass.states.get(entity_id)
    assert state.state == STATE_OFF
    assert state.attributes["errors"] == []
    assert state.attributes["warnings"] == []

    await sandbox.update_device(
        sandbox_state["normal_device_id"],
        warnings=[{"warning_code": "salto_ks_office_mode", "message": "Office mode is on"}],
    )
    await async_refresh(hass, init_integration)
    state = hass.states.get(entity_id)
    assert state.state == STATE_ON
    assert state.attributes["warnings"] == ["salto_ks_office_mode"]

    await sandbox.update_device(
        sandbox_state["normal_device_id"],
        warnings=[],
        errors=[
            {
                "error_code": "salto_ks_subscription_limit_exceeded",
                "message": "Subscription limit exceeded",
                "is_device_error": True,
            }
        ],
    )
    await async_refresh(hass, init_integration)
    state = hass.states.get(entity_id)
    assert state.state == STATE_ON
    assert state.attributes["errors"] == ["salto_ks_subscription_limit_exceeded"]
    assert state.attributes["warnings"] == []


@pytest.mark.parametrize("error_code", ["device_disconnected", "device_offline"])
async def test_offline_error_is_not_a_problem(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    init_integration: MockConfigEntry,
    error_code: str,
) -> None:
    """The offline errors (device_disconnected; device_offline, deprecated) are what the
    connectivity sensor shows, not a problem."""
    await sandbox.update_device(
        sandbox_state["normal_device_id"],
        errors=[{"error_code": error_code, "message": "Device is offline"}],
    )
    await async_refresh(hass, init_integration)
    assert hass.states.get("binary_sensor.front_door_problem").state == STATE_OFF


@pytest.mark.parametrize(
    ("field", "issue"),
    [
        # spec: Salto KS lock warning after an IQ hub reset ("Access code support may be
        # affected").
        ("warnings", {"warning_code": "salto_ks_lock_access_code_support_removed"}),
        # spec 1.1038.0: the accessory keypad's battery is low.
        ("warnings", {"warning_code": "accessory_keypad_low_battery"}),
        # spec 1.1038.0: Seam's integration user lacks permissions (a connected account error).
        ("errors", {"error_code": "insufficient_permissions"}),
    ],
)
async def test_problem_lists_warnings_users_hit(
    *,
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    init_integration: MockConfigEntry,
    field: str,
    issue: dict[str, str],
) -> None:
    """Warnings and errors of Seam's newer spec turn the problem sensor on, listed by code."""
    await sandbox.update_device(
        sandbox_state["normal_device_id"], **{field: [{**issue, "message": "m"}]}
    )
    await async_refresh(hass, init_integration)
    state = hass.states.get("binary_sensor.front_door_problem")
    assert state.state == STATE_ON
    assert state.attributes[field] == list(issue.values())
