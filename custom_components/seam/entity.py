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

    Each entity is given its lock's device as ``device_entry``: the coordinator makes or updates
    it once per lock, not once per entity (setup at a thousand locks spends most of its time in
    Home Assistant's registries).

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
        # The coordinator made the lock's device (once per lock); Home Assistant then has no
        # device info to apply per entity.
        self.device_entry = dr.async_get(coordinator.hass).async_get_device_by_identifier(
            (DOMAIN, device_id), coordinator.config_entry.entry_id
        )

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
