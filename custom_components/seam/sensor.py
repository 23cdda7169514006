"""Seam lock sensors: battery level."""

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

from .coordinator import SeamConfigEntry, SeamCoordinator
from .entity import SeamEntity, async_setup_lock_entities

# Entities only read the coordinator's data.
PARALLEL_UPDATES = 0

BATTERY_DESCRIPTION = SensorEntityDescription(
    key="battery",
    device_class=SensorDeviceClass.BATTERY,
    native_unit_of_measurement=PERCENTAGE,
    state_class=SensorStateClass.MEASUREMENT,
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SeamConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up a battery sensor per Seam lock, now and for locks that appear later."""
    async_setup_lock_entities(
        entry,
        async_add_entities,
        lambda coordinator, device_id: [SeamBatterySensor(coordinator, device_id)],
    )


class SeamBatterySensor(SeamEntity, SensorEntity):
    """A lock's battery level in percent (unknown when Seam reports none)."""

    entity_description = BATTERY_DESCRIPTION

    def __init__(self, coordinator: SeamCoordinator, device_id: str) -> None:
        """Initialize the battery sensor."""
        super().__init__(coordinator, device_id, BATTERY_DESCRIPTION.key)

    @property
    @override
    def native_value(self) -> int | None:
        """Seam's battery level (0..1) as a whole percentage."""
        level = self.device.battery_level
        return None if level is None else round(level * 100)
