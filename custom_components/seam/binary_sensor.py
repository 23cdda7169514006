"""Seam lock binary sensors: door, connectivity and problems Seam reports."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SeamConfigEntry, SeamCoordinator
from .entity import SeamEntity, async_setup_lock_entities
from .seam_api import Device

# Entities only read the coordinator's data.
PARALLEL_UPDATES = 0

# Shown by the connectivity sensor instead. Seam's spec: device error ``device_disconnected``
# ("the device is disconnected"), which replaces the deprecated ``device_offline``.
OFFLINE_ERROR_CODES = frozenset({"device_disconnected", "device_offline"})


@dataclass(frozen=True, kw_only=True)
class SeamBinarySensorEntityDescription(BinarySensorEntityDescription):
    """Describes a Seam binary sensor."""

    is_on_fn: Callable[[Device], bool | None]
    supported_fn: Callable[[Device], bool] = lambda _: True
    attributes_fn: Callable[[Device], dict[str, Any]] | None = None
    # Reports the device's connection itself, so it stays available while the device is offline.
    available_offline: bool = False


def _problem_codes(device: Device) -> dict[str, Any]:
    """Seam's error and warning codes for a device, except the offline errors."""
    return {
        "errors": [issue.code for issue in device.errors if issue.code not in OFFLINE_ERROR_CODES],
        "warnings": [issue.code for issue in device.warnings],
    }


DESCRIPTIONS: tuple[SeamBinarySensorEntityDescription, ...] = (
    SeamBinarySensorEntityDescription(
        key="door",
        device_class=BinarySensorDeviceClass.DOOR,
        is_on_fn=lambda device: device.door_open,
        supported_fn=lambda device: device.door_open is not None,
    ),
    SeamBinarySensorEntityDescription(
        key="connectivity",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        # Redundant with the lock's own availability: disabled by default, which keeps a lock at
        # five enabled entities (Home Assistant enables at most 10,000 per config entry).
        entity_registry_enabled_default=False,
        is_on_fn=lambda device: device.online,
        available_offline=True,
    ),
    SeamBinarySensorEntityDescription(
        key="problem",
        translation_key="problem",
        device_class=BinarySensorDeviceClass.PROBLEM,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=lambda device: any(_problem_codes(device).values()),
        attributes_fn=_problem_codes,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SeamConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the binary sensors of each Seam lock, now and for locks that appear later."""
    async_setup_lock_entities(entry, async_add_entities, _binary_sensors)


def _binary_sensors(coordinator: SeamCoordinator, device_id: str) -> list[SeamBinarySensor]:
    """Return the binary sensors a Seam lock supports."""
    device = coordinator.data[device_id]
    return [
        SeamBinarySensor(coordinator, device_id, description)
        for description in DESCRIPTIONS
        if description.supported_fn(device)
    ]


class SeamBinarySensor(SeamEntity, BinarySensorEntity):
    """A binary sensor of a Seam lock."""

    entity_description: SeamBinarySensorEntityDescription

    def __init__(
        self,
        coordinator: SeamCoordinator,
        device_id: str,
        description: SeamBinarySensorEntityDescription,
    ) -> None:
        """Initialize the binary sensor."""
        self.entity_description = description
        super().__init__(coordinator, device_id, description.key)

    @property
    @override
    def available(self) -> bool:
        """Available while polling works and the device is reported (online or not, if so)."""
        if self.entity_description.available_offline:
            return self.coordinator.last_update_success and self.device_id in self.coordinator.data
        return super().available

    @property
    @override
    def is_on(self) -> bool | None:
        """Whether the sensor is on."""
        return self.entity_description.is_on_fn(self.device)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Extra attributes (the problem sensor lists Seam's error and warning codes)."""
        if (attributes_fn := self.entity_description.attributes_fn) is None:
            return None
        return attributes_fn(self.device)
