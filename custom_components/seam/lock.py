"""Seam locks."""

import asyncio
from datetime import datetime
from typing import Any, override

from homeassistant.components.lock import LockEntity
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .coordinator import LockActivity, SeamConfigEntry, SeamCoordinator
from .entity import SeamEntity, async_setup_lock_entities
from .errors import action_error, invalid
from .seam_api import Device, SeamError

# Different locks run side by side (one lock.lock call on 50 doors takes one attempt's time);
# each lock runs one action at a time (SeamLock._operating): Seam rate-limits per device.
PARALLEL_UPDATES = 0

# How long to wait for Seam to confirm a lock/unlock, and how often to ask (seconds).
ACTION_TIMEOUT = 10.0
ACTION_POLL_INTERVAL = 0.5
# The longest a command's assumed result is shown when Seam reports no newer state (seconds):
# a lock may relock by itself after a remote unlock (Seam documents none for Salto KS), and may
# never report itself unlocked.
ASSUMED_STATE_TIMEOUT = 15.0


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
        # The outcome of a successful action (the device as polled then, the assumed value, when
        # the command was sent), shown until Seam reports a newer state of the lock or for
        # ASSUMED_STATE_TIMEOUT at most.
        self._assumed: tuple[Device | None, bool, datetime] | None = None
        self._cancel_assumed: CALLBACK_TYPE | None = None
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

    @override
    async def async_added_to_hass(self) -> None:
        """Also hear of this lock's activity (an opposite one ends an assumed state)."""
        await super().async_added_to_hass()
        self.async_listen_activity(self._async_activity)

    @callback
    def _async_activity(self, activity: LockActivity) -> None:
        """Seam reported the opposite of the command after it: show Seam's state again."""
        if self._assumed is None:
            return
        _, locked, sent_at = self._assumed
        if activity.event_type == ("unlocked" if locked else "locked") and (
            activity.occurred_at > sent_at
        ):
            self._async_drop_assumed()
            self.async_write_ha_state()

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Drop the assumed outcome of an action once the lock's device changed since."""
        if self._assumed and self._assumed[0] is not self.coordinator.data.get(self.device_id):
            self._async_drop_assumed()
        super()._handle_coordinator_update()

    @callback
    def _async_drop_assumed(self, _now: datetime | None = None) -> None:
        """Show Seam's reported state again."""
        self._assumed = None
        if self._cancel_assumed is not None:
            self._cancel_assumed()
            self._cancel_assumed = None
        if _now is not None:
            self.async_write_ha_state()

    @override
    async def async_will_remove_from_hass(self) -> None:
        """Stop the timer of an assumed state."""
        if self._cancel_assumed is not None:
            self._cancel_assumed()
            self._cancel_assumed = None
        await super().async_will_remove_from_hass()

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
            can = device.can_remotely_lock if lock else device.can_remotely_unlock
            if not can:
                # Seam's capability flags: false = the lock has the capability but it does not
                # work now (for Salto KS: no pass-through waiver); absent = no such capability.
                name = device.display_name
                if can is None:
                    raise invalid("no_remote_lock" if lock else "no_remote_unlock", name=name)
                if device.is_salto:
                    raise invalid(
                        "cannot_remotely_lock_salto" if lock else "cannot_remotely_unlock_salto",
                        name=name,
                    )
                raise invalid(
                    "cannot_remotely_lock" if lock else "cannot_remotely_unlock", name=name
                )
            sent_at = dt_util.utcnow()
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
                self._async_drop_assumed()
                activity = self.coordinator.activity.get(self.device_id)
                if not (
                    activity is not None
                    and activity.event_type == ("unlocked" if lock else "locked")
                    and activity.occurred_at > sent_at
                ):
                    # Unless Seam already reported the opposite after the command (a momentary
                    # unlock that locked again before the attempt was seen to succeed).
                    self._assumed = (self.coordinator.data.get(self.device_id), lock, sent_at)
                    self._cancel_assumed = async_call_later(
                        self.hass, ASSUMED_STATE_TIMEOUT, self._async_drop_assumed
                    )
            finally:
                self._attr_is_locking = self._attr_is_unlocking = False
                self.async_write_ha_state()
        await self.coordinator.async_request_refresh()
