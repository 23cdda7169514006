"""Seam locks."""

from typing import Any, override

from homeassistant.components.lock import LockEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .coordinator import SeamConfigEntry, SeamCoordinator
from .entity import SeamEntity, async_setup_lock_entities
from .seam_api import Device, SeamActionAttemptTimeoutError, SeamError

# One lock/unlock at a time: Seam rate-limits actions per device.
PARALLEL_UPDATES = 1

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

    @override
    def _state_key(self) -> tuple[object, ...]:
        return (*super()._state_key(), self.coordinator.activity.get(self.device_id))

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
        """Run a lock or unlock action attempt and show its progress and result."""
        device = self.device
        action = "lock" if lock else "unlock"
        placeholders = {"name": device.display_name}
        if not (device.can_remotely_lock if lock else device.can_remotely_unlock):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key=f"cannot_remotely_{action}",
                translation_placeholders=placeholders,
            )
        client = self.coordinator.client
        self._attr_is_locking = lock
        self._attr_is_unlocking = not lock
        self.async_write_ha_state()
        try:
            await (client.lock_door if lock else client.unlock_door)(
                self.device_id, timeout=ACTION_TIMEOUT, poll_interval=ACTION_POLL_INTERVAL
            )
        except SeamActionAttemptTimeoutError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key=f"{action}_timeout",
                translation_placeholders=placeholders,
            ) from err
        except SeamError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key=f"{action}_failed",
                translation_placeholders={**placeholders, "reason": str(err)},
            ) from err
        else:
            self._assumed = (self.coordinator.data.get(self.device_id), lock)
        finally:
            self._attr_is_locking = self._attr_is_unlocking = False
            self.async_write_ha_state()
        await self.coordinator.async_request_refresh()
