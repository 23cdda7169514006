"""Seam locks."""

import asyncio
from typing import Any, override

from homeassistant.components.lock import LockEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SeamConfigEntry, SeamCoordinator
from .entity import SeamEntity, async_setup_lock_entities
from .errors import action_error, invalid
from .seam_api import Device, SeamError

# Different locks run side by side (one lock.lock call on 50 doors takes one attempt's time);
# each lock runs one action at a time (SeamLock._operating): Seam rate-limits per device.
PARALLEL_UPDATES = 0

# How long to wait for Seam to confirm a lock/unlock, and how often to ask (seconds).
ACTION_TIMEOUT = 10.0
ACTION_POLL_INTERVAL = 0.5


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SeamConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up a lock entity per Seam lock, now and for locks that appear later."""
    async_setup_lock_entities(
        entry, async_add_entities, lambda coordinator, device_id: [SeamLock(coordinator, device_id)]
    )


class SeamLock(SeamEntity, LockEntity):
    """A Seam lock: locked or unlocked, operated through Seam action attempts."""

    _attr_name = None

    def __init__(self, coordinator: SeamCoordinator, device_id: str) -> None:
        """Initialize the lock."""
        super().__init__(coordinator, device_id, "lock")
        # The outcome of a successful action, shown until Seam reports the device changed.
        self._assumed: tuple[Device | None, bool] | None = None
        # Held while a lock or unlock action attempt of this lock runs.
        self._operating = asyncio.Lock()

    @property
    @override
    def is_locked(self) -> bool | None:
        """Whether the lock is locked (None when Seam does not say)."""
        if self._assumed is not None:
            return self._assumed[1]
        return self.device.locked

    @property
    @override
    def changed_by(self) -> str | None:
        """Who or what last locked or unlocked it, from Seam's activity events."""
        if activity := self.coordinator.activity.get(self.device_id):
            return activity.changed_by
        return None

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Drop the assumed outcome of an action once Seam reports the device changed."""
        if self._assumed and self._assumed[0] != self.coordinator.data.get(self.device_id):
            self._assumed = None
        super()._handle_coordinator_update()

    @override
    async def async_lock(self, **kwargs: Any) -> None:
        """Lock the door."""
        await self._async_operate(lock=True)

    @override
    async def async_unlock(self, **kwargs: Any) -> None:
        """Unlock the door."""
        await self._async_operate(lock=False)

    async def _async_operate(self, *, lock: bool) -> None:
        """Run a lock or unlock action attempt (one at a time) and show its progress and result."""
        async with self._operating:
            device = self.device
            if not (device.can_remotely_lock if lock else device.can_remotely_unlock):
                raise invalid(
                    "cannot_remotely_lock" if lock else "cannot_remotely_unlock",
                    name=device.display_name,
                )
            client = self.coordinator.client
            self._attr_is_locking = lock
            self._attr_is_unlocking = not lock
            self.async_write_ha_state()
            try:
                await (client.lock_door if lock else client.unlock_door)(
                    self.device_id, timeout=ACTION_TIMEOUT, poll_interval=ACTION_POLL_INTERVAL
                )
            except SeamError as err:
                raise action_error(self.coordinator, err, device.display_name) from err
            else:
                self._assumed = (self.coordinator.data.get(self.device_id), lock)
            finally:
                self._attr_is_locking = self._attr_is_unlocking = False
                self.async_write_ha_state()
        await self.coordinator.async_request_refresh()
