"""Polling coordinator for the Seam integration."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
import logging
from typing import Any, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_API_KEY
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .const import CONF_API_URL, CONF_POLL_INTERVAL, DEFAULT_POLL_INTERVAL, DOMAIN
from .errors import update_error
from .issues import async_update_issues
from .seam_api import (
    Device,
    Event,
    SeamAuthError,
    SeamClient,
    SeamError,
    Workspace,
)

_LOGGER = logging.getLogger(__name__)

# Seam event type -> the event entity's event type.
ACTIVITY_EVENT_TYPES = {"lock.locked": "locked", "lock.unlocked": "unlocked"}
# Seconds one request to Seam may take (connect to last byte) before it counts as failed.
REQUEST_TIMEOUT = 10.0

type SeamConfigEntry = ConfigEntry[SeamCoordinator]


@dataclass(frozen=True, slots=True, kw_only=True)
class LockActivity:
    """A lock or unlock reported by Seam's events (never carries a PIN)."""

    event_id: str
    device_id: str
    event_type: str
    method: str | None
    access_code_name: str | None

    @property
    def changed_by(self) -> str | None:
        """Who or what operated the lock: the access code's name, else the method."""
        return self.access_code_name or self.method


class SeamCoordinator(DataUpdateCoordinator[dict[str, Device]]):
    """Polls Seam's device list (one request per 500 devices) and keeps the locks by device id.

    Each poll also reads the lock events since the previous poll (one request for all locks):
    ``activity`` holds the latest activity per lock, ``new_activity`` the activity first seen
    in the latest poll (oldest first).

    Change detection, with Home Assistant's public coordinator API only: an entity listens
    with its lock's device id as context (``CoordinatorEntity(coordinator, context=device_id)``);
    ``async_add_listener`` keeps such listeners in a registry per lock, and while any exist, the
    coordinator itself is the one listener of the base class. When the base class notifies
    (after each poll), ``_async_notify_locks`` calls only the listeners of the locks that changed
    since the previous notification: whose ``Device`` is not the same object (the client returns
    the same object for an unchanged device), that appeared or disappeared, or that have new
    activity. Every lock's listeners are called when availability changed (outage or
    recovery). A poll that changes nothing calls no entity at all; listeners
    without a lock context are the base class's and called after every poll.
    """

    config_entry: SeamConfigEntry
    workspace: Workspace

    def __init__(self, hass: HomeAssistant, entry: SeamConfigEntry) -> None:
        """Create the coordinator and its API client on Home Assistant's shared session."""
        self._poll_interval = timedelta(
            seconds=entry.options.get(CONF_POLL_INTERVAL, DEFAULT_POLL_INTERVAL)
        )
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=DOMAIN,
            update_interval=self._poll_interval,
        )
        self.client = SeamClient(
            async_get_clientsession(hass),
            entry.data[CONF_API_KEY],
            base_url=entry.data[CONF_API_URL],
            request_timeout=REQUEST_TIMEOUT,
        )
        self.activity: dict[str, LockActivity] = {}
        self.new_activity: dict[str, list[LockActivity]] = {}
        self.new_lock_callbacks: list[Callable[[list[str]], None]] = []
        self._events_since: datetime | None = None
        self._last_event_ids: set[str] = set()
        self._known_lock_ids: set[str] | None = None
        # Device id -> the update callbacks of its entities.
        self._lock_listeners: dict[str, list[CALLBACK_TYPE]] = {}
        self._remove_notify: CALLBACK_TYPE | None = None
        # Availability and locks at the previous notification of the locks' listeners.
        self._notified: tuple[bool, dict[str, Device]] = (False, {})

    @override
    async def _async_setup(self) -> None:
        try:
            self.workspace = await self.client.get_workspace()
        except SeamError as err:
            raise update_error(err) from err

    @override
    async def _async_update_data(self) -> dict[str, Device]:
        self.new_activity = {}
        try:
            devices = await self.client.list_devices()
        except SeamError as err:
            raise update_error(err) from err
        locks = {device.device_id: device for device in devices if device.is_lock}
        await self._async_update_activity(locks)
        return locks

    async def _async_update_activity(self, locks: dict[str, Device]) -> None:
        """Read the lock events since the previous poll (one request, every lock)."""
        since = self._events_since or dt_util.utcnow() - self._poll_interval
        try:
            events = await self.client.list_events(since, event_types=list(ACTIVITY_EVENT_TYPES))
        except SeamAuthError as err:
            raise update_error(err) from err
        except SeamError as err:
            # Lock states matter more than their history: keep them, retry these next poll.
            _LOGGER.debug("Could not read Seam events since %s: %s", since, err)
            return
        events = sorted(events, key=lambda event: event.created_at or since)
        if stamps := [event.created_at for event in events if event.created_at is not None]:
            self._events_since = max(stamps)
        elif self._events_since is None:
            self._events_since = since
        last_ids, self._last_event_ids = self._last_event_ids, {e.event_id for e in events}
        for event in events:
            if event.event_id in last_ids or event.device_id not in locks:
                continue
            activity = LockActivity(
                event_id=event.event_id,
                device_id=event.device_id,
                event_type=ACTIVITY_EVENT_TYPES[event.event_type],
                method=event.method,
                access_code_name=await self._async_access_code_name(event),
            )
            self.activity[event.device_id] = activity
            self.new_activity.setdefault(event.device_id, []).append(activity)

    async def _async_access_code_name(self, event: Event) -> str | None:
        """Look up the name of the access code an event reports (once per event)."""
        if event.access_code_id is None:
            return None
        try:
            access_code = await self.client.get_access_code(event.access_code_id)
        except SeamError as err:
            _LOGGER.debug("Could not look up the access code of event %s: %s", event.event_id, err)
            return None
        return access_code.name or None

    @callback
    @override
    def async_add_listener(
        self, update_callback: CALLBACK_TYPE, context: Any = None
    ) -> Callable[[], None]:
        """Listen for updates; with a lock's device id as context, for that lock's changes only."""
        if not isinstance(context, str):
            return super().async_add_listener(update_callback, context)
        listeners = self._lock_listeners.setdefault(context, [])
        listeners.append(update_callback)
        if self._remove_notify is None:
            # The first listener starts polling; removing the last one stops it (base class).
            # Entities show the current data when added: changes count from here on.
            self._notified = (self.last_update_success, self.data)
            self._remove_notify = super().async_add_listener(self._async_notify_locks)

        @callback
        def remove_listener() -> None:
            listeners.remove(update_callback)
            if not listeners and self._lock_listeners.get(context) is listeners:
                del self._lock_listeners[context]
            if not self._lock_listeners and self._remove_notify is not None:
                self._remove_notify()
                self._remove_notify = None

        return remove_listener

    @callback
    def _async_notify_locks(self) -> None:
        """Call the listeners of the locks that changed since the previous call (see above)."""
        previous, self._notified = self._notified, (self.last_update_success, self.data)
        if previous[0] != self.last_update_success:
            changed: Iterable[str] = list(self._lock_listeners)
        else:
            old, new = previous[1], self.data
            changed = {lock_id for lock_id, lock in new.items() if old.get(lock_id) is not lock}
            changed.update(old.keys() - new.keys(), self.new_activity)
        for lock_id in changed:
            for update_callback in list(self._lock_listeners.get(lock_id, ())):
                try:
                    update_callback()
                except Exception:
                    self.logger.exception("Unexpected error updating a listener of %s", self.name)

    @callback
    @override
    def _async_refresh_finished(self) -> None:
        """Add entities for new locks, remove the devices of locks that are gone, update issues."""
        if not self.last_update_success:
            return
        async_update_issues(self.hass, self.config_entry, self.data.values())
        current = set(self.data)
        known = self._known_lock_ids
        device_registry = dr.async_get(self.hass)
        if known is None:
            # First poll: the registry may still hold locks removed while Home Assistant was off.
            known = {
                identifier
                for device in dr.async_entries_for_config_entry(
                    device_registry, self.config_entry.entry_id
                )
                for domain, identifier in device.identifiers
                if domain == DOMAIN and identifier != self.workspace.workspace_id
            }
        for device_id in known - current:
            if device := device_registry.async_get_device_by_identifier(
                (DOMAIN, device_id), self.config_entry.entry_id
            ):
                _LOGGER.debug("Removing lock %s, no longer reported by Seam", device_id)
                device_registry.async_remove_device(device.id)
        if new_ids := sorted(current - known):
            for new_lock_callback in self.new_lock_callbacks:
                new_lock_callback(new_ids)
        self._known_lock_ids = current
