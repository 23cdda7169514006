"""Seam lock sensors: battery level."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .coordinator import SeamConfigEntry, SeamCoordinator
from .entity import SeamEntity, async_setup_lock_entities
from .seam_api import Device

# Entities only read the coordinator's data.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SeamSensorEntityDescription(SensorEntityDescription):
    """Describes a Seam sensor."""

    value_fn: Callable[[Device], StateType]


def _battery_percent(device: Device) -> int | None:
    """Seam's battery level (0..1) as a whole percentage (unknown when Seam reports none)."""
    level = device.battery_level
    return None if level is None else round(level * 100)


DESCRIPTIONS: tuple[SeamSensorEntityDescription, ...] = (
    SeamSensorEntityDescription(
        key="battery",
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_battery_percent,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SeamConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the sensors of each Seam lock, now and for locks that appear later."""
    async_setup_lock_entities(
        entry,
        async_add_entities,
        lambda coordinator, device_id: [
            SeamSensor(coordinator, device_id, description) for description in DESCRIPTIONS
        ],
    )


class SeamSensor(SeamEntity, SensorEntity):
    """A sensor of a Seam lock."""

    entity_description: SeamSensorEntityDescription

    def __init__(
        self,
        coordinator: SeamCoordinator,
        device_id: str,
        description: SeamSensorEntityDescription,
    ) -> None:
        """Initialize the sensor."""
        self.entity_description = description
        super().__init__(coordinator, device_id, description.key)

    @property
    @override
    def native_value(self) -> StateType:
        """The sensor's value."""
        return self.entity_description.value_fn(self.device)
