"""Tests of the Seam battery sensors (real HTTP against the sandbox)."""

from collections.abc import Iterator
from typing import Any
from unittest.mock import patch

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from tests import async_refresh
from tests.sandbox import Sandbox

FRONT_DOOR_BATTERY = "sensor.front_door_battery"


@pytest.fixture(autouse=True)
def only_sensors() -> Iterator[None]:
    """Set up the sensor platform only."""
    with patch("custom_components.seam.PLATFORMS", [Platform.SENSOR]):
        yield


@pytest.mark.freeze_time("2026-12-01T08:00:00+00:00")  # the access codes' read_at
async def test_sensors(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """A diagnostic battery sensor per lock, in percent; an access codes sensor per lock."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_battery_level(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """Seam's 0..1 battery level is shown as a whole percentage, unknown when missing."""
    assert hass.states.get("sensor.storage_room_battery").state == "12"
    assert hass.states.get("sensor.back_office_battery").state == STATE_UNAVAILABLE
    device_id = sandbox_state["normal_device_id"]

    await sandbox.update_device(device_id, properties={"battery_level": 0.456})
    await async_refresh(hass, init_integration)
    assert hass.states.get(FRONT_DOOR_BATTERY).state == "46"

    await sandbox.update_device(device_id, properties={"battery_level": None, "battery": None})
    await async_refresh(hass, init_integration)
    assert hass.states.get(FRONT_DOOR_BATTERY).state == STATE_UNKNOWN
