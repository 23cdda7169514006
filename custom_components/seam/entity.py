"""Base entity for the Seam integration."""

from collections.abc import Callable, Iterable
from typing import override

from homeassistant.core import callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import LockActivity, SeamConfigEntry, SeamCoordinator, activity_signal
from .seam_api import Device


class SeamEntity(CoordinatorEntity[SeamCoordinator]):
    """A Seam lock device's entity: unique id from device id and key, device from Seam.

    The lock's device registry entry is made (or updated) once, by its first entity, and the
    others are given it as ``device_entry``: one registry update per lock, not per entity
    (setup at a thousand locks spends most of its time in Home Assistant's registries).

    The entity listens with its lock's device id as context: the coordinator calls it only when
    that lock changed (see ``SeamCoordinator``), so a poll that finds a lock unchanged writes
    nothing.
    """

    _attr_has_entity_name = True

    def __init__(self, coordinator: SeamCoordinator, device_id: str, key: str) -> None:
        """Initialize the entity for one Seam device."""
        super().__init__(coordinator, context=device_id)
        self.device_id = device_id
        self._attr_unique_id = f"{device_id}-{key}"
        devices = dr.async_get(coordinator.hass)
        if (registry_id := coordinator.device_entry_ids.get(device_id)) is None or (
            device_entry := devices.async_get(registry_id)
        ) is None:
            device = self.device
            device_entry = devices.async_get_or_create(
                config_entry_id=coordinator.config_entry.entry_id,
                identifiers={(DOMAIN, device_id)},
                name=device.display_name,
                manufacturer=device.manufacturer,
                model=device.model,
                serial_number=device.serial_number,
                via_device_id=dr.async_get_device_id_by_identifier(
                    coordinator.hass,
                    (DOMAIN, coordinator.workspace.workspace_id),
                    config_entry_id=coordinator.config_entry.entry_id,
                ),
            )
            coordinator.device_entry_ids[device_id] = device_entry.id
        self.device_entry = device_entry

    @callback
    def async_listen_activity(self, on_activity: Callable[[LockActivity], None]) -> None:
        """Call ``on_activity`` with each new activity of this lock, until the entity is removed.

        For ``async_added_to_hass``: each activity the coordinator finds comes exactly once.
        """
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                activity_signal(self.coordinator.config_entry.entry_id, self.device_id),
                on_activity,
            )
        )

    @property
    def device(self) -> Device:
        """The latest polled state of this entity's Seam device."""
        return self.coordinator.data[self.device_id]

    @property
    @override
    def available(self) -> bool:
        """Available while polling works and the device is present and online."""
        device = self.coordinator.data.get(self.device_id)
        return super().available and device is not None and device.online is not False


def async_setup_lock_entities(
    entry: SeamConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    entities_for_lock: Callable[[SeamCoordinator, str], Iterable[SeamEntity]],
) -> None:
    """Add a platform's entities for each Seam lock, now and for locks that appear later."""
    coordinator = entry.runtime_data

    @callback
    def _async_add_locks(device_ids: list[str]) -> None:
        async_add_entities(
            entity
            for device_id in device_ids
            for entity in entities_for_lock(coordinator, device_id)
        )

    coordinator.new_lock_callbacks.append(_async_add_locks)
    _async_add_locks(list(coordinator.data))
