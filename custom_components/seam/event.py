"""Seam lock activity (locked / unlocked, by whom or how) as event entities."""

from typing import override

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import (
    ACTIVITY_EVENT_TYPES,
    LockActivity,
    SeamConfigEntry,
    SeamCoordinator,
)
from .entity import SeamEntity, async_setup_lock_entities

# Entities only read the coordinator's data.
PARALLEL_UPDATES = 0

ATTR_ACCESS_CODE_NAME = "access_code_name"
ATTR_METHOD = "method"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SeamConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up an activity event entity per Seam lock, now and for locks that appear later."""
    async_setup_lock_entities(
        entry,
        async_add_entities,
        lambda coordinator, device_id: [SeamActivityEvent(coordinator, device_id)],
    )


class SeamActivityEvent(SeamEntity, EventEntity):
    """Fires for each lock, unlock or refused entry Seam reports (method, access code's name)."""

    _attr_translation_key = "activity"
    _attr_event_types = sorted(set(ACTIVITY_EVENT_TYPES.values()))

    def __init__(self, coordinator: SeamCoordinator, device_id: str) -> None:
        """Initialize the event entity."""
        super().__init__(coordinator, device_id, "activity")
        self._shown_available = self.available

    @override
    async def async_added_to_hass(self) -> None:
        """Hear of this lock's activity: each one the coordinator finds comes once."""
        await super().async_added_to_hass()
        self.async_listen_activity(self._async_activity)

    @callback
    def _async_activity(self, activity: LockActivity) -> None:
        """Fire one activity of this lock."""
        self._trigger_event(
            activity.event_type,
            {ATTR_METHOD: activity.method, ATTR_ACCESS_CODE_NAME: activity.access_code_name},
        )
        self.async_write_ha_state()

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Write only when the availability changed (the state changes with activity only)."""
        if (available := self.available) != self._shown_available:
            self._shown_available = available
            self.async_write_ha_state()
