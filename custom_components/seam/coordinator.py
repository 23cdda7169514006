"""Coordinator for the Seam integration: push from Seam's webhooks, polling as the safety net.

One apply path: polls (``devices/list`` and ``events/list``), single-device reads and pushed events
all change a lock through ``_async_apply_device`` / ``_async_apply_event``. Each lock keeps when
its state was observed (a read's request start; a lock event's ``occurred_at``), so an older
observation never replaces a newer one, and duplicates (event ids are remembered) and reorders
are harmless. Pushes tell the changed locks' entities without touching the poll schedule.
"""

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
import logging
from typing import Any, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_API_KEY
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .access_codes import AccessCodes
from .const import CONF_API_URL, DOMAIN, WEBHOOK_EVENT_TYPES
from .errors import update_error
from .issues import (
    async_accounts_changed,
    async_setup_account_warnings,
    async_update_issues,
    async_update_push_issue,
)
from .seam_api import (
    Device,
    Event,
    SeamAuthError,
    SeamClient,
    SeamError,
    SeamResponseError,
    Workspace,
)
from .webhook import SeamPush

_LOGGER = logging.getLogger(__name__)

# Seam event type -> the event entity's event type.
ACTIVITY_EVENT_TYPES = {
    "lock.locked": "locked",
    "lock.unlocked": "unlocked",
    "lock.access_denied": "access_denied",
}
# The events/list window of the next poll starts this much before the last fully read time;
# events read twice are recognised by id.
EVENTS_OVERLAP = timedelta(seconds=1)
# Seconds one request to Seam may take (connect to last byte) before it counts as failed.
REQUEST_TIMEOUT = 10.0
# Polling: every 30 s without push; with push working, every 10 min as a safety net.
POLL_INTERVAL = timedelta(seconds=30)
PUSH_POLL_INTERVAL = timedelta(minutes=10)
# An event the poll finds that push has not delivered this long after Seam created it means
# deliveries are not arriving: poll fast (and say so in a repair issue) until one arrives again.
PUSH_GRACE = timedelta(seconds=60)
# Event ids remembered against duplicates (push and poll together).
MAX_SEEN_EVENTS = 10_000
# Event types after which the device list is read again (devices come and go).
_FULL_REFRESH_EVENT_PREFIXES = (
    "connected_account.",
    "device.added",
    "device.removed",
    "device.deleted",
)
_NEVER = datetime.min.replace(tzinfo=UTC)

type SeamConfigEntry = ConfigEntry[SeamCoordinator]


def activity_signal(entry_id: str, device_id: str) -> str:
    """Return the dispatcher signal that carries one lock's new activity (a ``LockActivity``)."""
    return f"{DOMAIN}_{entry_id}_activity_{device_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class LockActivity:
    """A lock, unlock or refused entry reported by Seam's events (never carries a PIN)."""

    event_id: str
    device_id: str
    event_type: str
    method: str | None
    access_code_name: str | None
    occurred_at: datetime

    @property
    def changed_by(self) -> str | None:
        """Who or what operated the lock: the access code's name, else the method."""
        return self.access_code_name or self.method


class SeamCoordinator(DataUpdateCoordinator[dict[str, Device]]):
    """Keeps the locks by device id: polled, read after device events, and changed by pushes.

    A poll reads the device list (one request per 500 devices), the subscribed events since the
    previous poll (one request: lock activity, access code news, and the deliveries push missed)
    and the access codes due (``AccessCodes.async_poll``).

    Entities listen with their lock's device id as context (``CoordinatorEntity(coordinator,
    context=device_id)``): such listeners are kept per lock, and when the coordinator notifies,
    only the listeners of the locks the apply path changed are called (all of them when
    availability changed). Activity goes to each lock's entities by a dispatcher signal.
    """

    config_entry: SeamConfigEntry
    workspace: Workspace

    def __init__(self, hass: HomeAssistant, entry: SeamConfigEntry) -> None:
        """Create the coordinator and its API client on Home Assistant's shared session."""
        super().__init__(
            hass, _LOGGER, config_entry=entry, name=DOMAIN, update_interval=POLL_INTERVAL
        )
        self.client = SeamClient(
            async_get_clientsession(hass),
            entry.data[CONF_API_KEY],
            base_url=entry.data[CONF_API_URL],
            request_timeout=REQUEST_TIMEOUT,
        )
        # The locks' access codes (access_codes.py), also reached through these names.
        self.codes = AccessCodes(hass, self.client)
        self.access_codes = self.codes.by_lock
        self.pending_codes = self.codes.pending
        self.async_add_access_codes_listener = self.codes.async_add_listener
        self.async_set_access_codes = self.codes.async_set
        self.async_access_code_updated = self.codes.async_updated
        self.async_access_code_removed = self.codes.async_removed
        self.async_watch_access_code = self.codes.async_watch
        self.push = SeamPush(hass, entry, self.client, self.async_handle_push_event)
        # Events the poll found that push never delivered (reset by the next delivery).
        self.push_missed = 0
        # Per lock: its latest activity, and when its device and its locked state were observed.
        self.activity: dict[str, LockActivity] = {}
        self._observed: dict[str, tuple[datetime, datetime]] = {}
        self.new_lock_callbacks: list[Callable[[list[str]], None]] = []
        self._known_lock_ids: set[str] | None = None
        # Event ids already applied (by push or poll), oldest first.
        self._seen_events: OrderedDict[str, None] = OrderedDict()
        self._events_since: datetime | None = None
        self._last_event_ids: set[str] = set()
        # Devices being read after an event, and those with a newer event meanwhile.
        self._reading: set[str] = set()
        self._read_again: set[str] = set()
        # Locks changed and activity found since the entities were last told.
        self._changed: set[str] = set()
        self._new_activity: list[LockActivity] = []
        self._lock_listeners: dict[str, list[CALLBACK_TYPE]] = {}
        self._remove_notify: CALLBACK_TYPE | None = None
        self._notified_success = False

    @override
    async def _async_setup(self) -> None:
        try:
            self.workspace = await self.client.get_workspace()
        except SeamError as err:
            raise update_error(err) from err
        dr.async_get(self.hass).async_get_or_create(
            config_entry_id=self.config_entry.entry_id,
            identifiers={(DOMAIN, self.workspace.workspace_id)},
            name=self.workspace.name,
            manufacturer="Seam",
            entry_type=dr.DeviceEntryType.SERVICE,
        )
        await async_setup_account_warnings(self.config_entry, self.client)

    @property
    def push_healthy(self) -> bool:
        """Whether push is set up and every event the poll found was delivered."""
        return self.push.status.active and self.push_missed == 0

    @callback
    def async_update_poll_interval(self) -> None:
        """Poll rarely while push works, every 30 s otherwise."""
        self.update_interval = PUSH_POLL_INTERVAL if self.push_healthy else POLL_INTERVAL

    def _remember(self, event_id: str) -> bool:
        """Remember an event id; False if it was already applied."""
        if event_id in self._seen_events:
            return False
        self._seen_events[event_id] = None
        while len(self._seen_events) > MAX_SEEN_EVENTS:
            self._seen_events.popitem(last=False)
        return True

    # ---- polls -----------------------------------------------------------------------------

    @override
    async def _async_update_data(self) -> dict[str, Device]:
        started = dt_util.utcnow()
        try:
            devices = await self.client.list_devices()
        except SeamError as err:
            raise update_error(err) from err
        locks = {device.device_id: device for device in devices if device.is_lock}
        events = await self._async_read_events()
        named = [(event, await self.codes.async_name(event)) for event in events]
        await self.codes.async_poll(locks, self.push_healthy)
        # Everything read is applied at once, after the last await: what push applied meanwhile
        # is newer where it is, and stays.
        data = self.data if self.data is not None else {}
        for device_id in data.keys() - locks.keys():
            del data[device_id]
            self._changed.add(device_id)
            self._observed.pop(device_id, None)
            self.activity.pop(device_id, None)
            self.access_codes.pop(device_id, None)
        for device in locks.values():
            self._async_apply_device(data, device, started)
        for event, name in named:
            self._async_apply_event(data, event, name)
        return data

    async def _async_read_events(self) -> list[Event]:
        """Read the subscribed events since the previous poll; return the lock events new to us.

        One request while fewer than 500 events happened since the previous poll (more are read
        in further requests, ``SeamClient.list_events``). The next poll starts where this one
        read completely, so no event is lost or reported twice. Access code events are handed
        to ``AccessCodes``; an event push should have delivered long ago counts as missed.
        """
        first_read = self._events_since is None
        since = self._events_since or dt_util.utcnow() - POLL_INTERVAL
        try:
            read = await self.client.list_events(
                since - EVENTS_OVERLAP, event_types=list(WEBHOOK_EVENT_TYPES)
            )
        except SeamAuthError as err:
            raise update_error(err) from err
        except SeamError as err:
            # Lock states matter more than their history: keep them, retry these next poll.
            _LOGGER.debug("Could not read Seam events since %s: %s", since, err)
            return []
        last_ids = self._last_event_ids
        self._events_since = max(since, read.complete_until)
        self._last_event_ids = {
            event.event_id
            for event in read.events
            if event.created_at is None or event.created_at >= self._events_since - EVENTS_OVERLAP
        }
        missed_before = dt_util.utcnow() - PUSH_GRACE
        missed = 0
        lock_events = []
        for event in read.events:
            if event.event_id in last_ids or not self._remember(event.event_id):
                continue
            if event.created_at is not None and event.created_at < missed_before:
                missed += 1
            if event.event_type in ACTIVITY_EVENT_TYPES:
                lock_events.append(event)
            elif event.event_type.startswith("access_code."):
                self.codes.async_take_event(event, self.data or {})
            elif event.event_type.startswith("connected_account.") and not first_read:
                # (The setup read the accounts just before its first read of the events.)
                async_accounts_changed(self.config_entry)
        if missed and self.push.status.active:
            if not self.push_missed:
                _LOGGER.info(
                    "Seam's webhook deliveries do not arrive (%s changes found only by polling): "
                    "polling every 30 seconds until one arrives",
                    missed,
                )
                async_update_push_issue(self.hass, self.config_entry, "not_delivered")
            self.push_missed += missed
        self.async_update_poll_interval()
        return lock_events

    # ---- the one apply path --------------------------------------------------------------

    @callback
    def _async_apply_device(
        self, data: dict[str, Device], device: Device, read_at: datetime
    ) -> None:
        """Take a device as read by a request started at ``read_at``, unless newer is shown."""
        device_id = device.device_id
        device_at, locked_at = self._observed.get(device_id, (_NEVER, _NEVER))
        if read_at < device_at:
            return
        current = data.get(device_id)
        if locked_at > read_at and current is not None and current.locked != device.locked:
            device = replace(device, locked=current.locked)  # a newer lock event says otherwise
        self._observed[device_id] = (read_at, max(locked_at, read_at))
        if device is not current and device != current:
            data[device_id] = device
            self._changed.add(device_id)

    @callback
    def _async_apply_event(
        self, data: dict[str, Device], event: Event, access_code_name: str | None
    ) -> None:
        """Take a lock event: the state if it is newer than what is shown; its activity, once."""
        device_id = event.device_id
        if device_id is None or (device := data.get(device_id)) is None:
            return
        now = dt_util.utcnow()
        # Never later than now: a clock ahead of ours must not hide the next observations.
        occurred = min(event.occurred_at or event.created_at or now, now)
        device_at, locked_at = self._observed.get(device_id, (_NEVER, _NEVER))
        if event.event_type != "lock.access_denied" and occurred >= locked_at:
            self._observed[device_id] = (device_at, occurred)
            locked = event.event_type == "lock.locked"
            if device.locked is not locked:
                data[device_id] = replace(device, locked=locked)
                self._changed.add(device_id)
        activity = LockActivity(
            event_id=event.event_id,
            device_id=device_id,
            event_type=ACTIVITY_EVENT_TYPES[event.event_type],
            method=event.method,
            access_code_name=access_code_name,
            occurred_at=occurred,
        )
        if (latest := self.activity.get(device_id)) is None or occurred >= latest.occurred_at:
            self.activity[device_id] = activity
            self._changed.add(device_id)
        self._new_activity.append(activity)

    @callback
    def _async_fire_activity(self) -> None:
        """Send each new activity to its lock's entities (each exactly once)."""
        new, self._new_activity = self._new_activity, []
        for activity in new:
            async_dispatcher_send(
                self.hass, activity_signal(self.config_entry.entry_id, activity.device_id), activity
            )

    @callback
    def _async_publish(self) -> None:
        """Tell the entities what a push changed, without touching the poll schedule."""
        self.async_update_listeners()
        self._async_fire_activity()

    # ---- push --------------------------------------------------------------------------------

    @callback
    def async_handle_push_event(self, data: dict[str, Any]) -> None:
        """Apply a verified webhook event: lock events at once, others by reading what changed."""
        try:
            event = Event.from_api(data)
        except SeamResponseError:  # pragma: no cover - the verifier checked event_id already
            return
        if self._known_lock_ids is None:
            return  # before the first poll's end: that poll reads everything anyway
        if self.push_missed:
            self.push_missed = 0
            _LOGGER.info("Seam's webhook deliveries arrive again: polling every 10 minutes")
            async_update_push_issue(self.hass, self.config_entry, None)
            self.async_update_poll_interval()
        if not self._remember(event.event_id):
            return
        entry = self.config_entry
        if event.event_type in ACTIVITY_EVENT_TYPES:
            if event.access_code_id is None:
                self._async_apply_event(self.data, event, None)
                self._async_publish()
            else:
                entry.async_create_task(self.hass, self._async_apply_named(event), "seam activity")
        elif event.event_type.startswith(_FULL_REFRESH_EVENT_PREFIXES):
            if event.event_type.startswith("connected_account."):
                async_accounts_changed(entry)
            entry.async_create_task(self.hass, self.async_request_refresh(), "seam refresh")
        elif event.event_type.startswith("access_code."):
            if self.codes.async_take_event(event, self.data) and event.device_id is not None:
                entry.async_create_task(
                    self.hass, self.codes.async_read(event.device_id), "seam access codes"
                )
        elif event.device_id in self.data:
            if event.device_id in self._reading:
                self._read_again.add(event.device_id)
            else:
                entry.async_create_task(
                    self.hass, self._async_read_device(event.device_id), "seam device"
                )

    async def _async_apply_named(self, event: Event) -> None:
        """Apply a lock event made with an access code, once the code's name is known."""
        name = await self.codes.async_name(event)
        self._async_apply_event(self.data, event, name)
        self._async_publish()

    async def _async_read_device(self, device_id: str) -> None:
        """Read one device after an event about it (never the whole list); again after newer."""
        self._reading.add(device_id)
        try:
            while True:
                self._read_again.discard(device_id)
                started = dt_util.utcnow()
                try:
                    device = await self.client.get_device(device_id)
                except SeamError as err:
                    _LOGGER.debug("Could not read device %s after its event: %s", device_id, err)
                    return
                if device_id in self.data and device.is_lock:
                    self._async_apply_device(self.data, device, started)
                    self._async_publish()
                    async_update_issues(self.hass, self.config_entry, self.data.values())
                if device_id not in self._read_again:
                    return
        finally:
            self._reading.discard(device_id)

    # ---- entities ------------------------------------------------------------------------------

    @callback
    @override
    def async_add_listener(
        self, update_callback: CALLBACK_TYPE, context: Any = None
    ) -> Callable[[], None]:
        """Listen for updates; with a lock's device id as context, for that lock's changes only."""
        if not isinstance(context, str):
            return super().async_add_listener(update_callback, context)
        self._lock_listeners.setdefault(context, []).append(update_callback)
        if self._remove_notify is None:
            # The first listener starts polling; removing the last one stops it (base class).
            self._notified_success = self.last_update_success
            self._changed.clear()
            self._remove_notify = super().async_add_listener(self._async_notify_locks)
        # A partial, not a closure: one per entity, so it is kept small.
        return partial(self._async_remove_lock_listener, context, update_callback)

    @callback
    def _async_remove_lock_listener(self, device_id: str, update_callback: CALLBACK_TYPE) -> None:
        listeners = self._lock_listeners[device_id]
        listeners.remove(update_callback)
        if not listeners:
            del self._lock_listeners[device_id]
        if not self._lock_listeners and self._remove_notify is not None:
            self._remove_notify()
            self._remove_notify = None

    @callback
    def _async_notify_locks(self) -> None:
        """Call the listeners of the locks changed since the previous call.

        All of them when the availability changed (an outage or a recovery).
        """
        changed: Iterable[str] = self._changed
        self._changed = set()
        if self._notified_success != self.last_update_success:
            self._notified_success = self.last_update_success
            changed = list(self._lock_listeners)
        for lock_id in changed:
            for update_callback in list(self._lock_listeners.get(lock_id, ())):
                try:
                    update_callback()
                except Exception:
                    self.logger.exception("Unexpected error updating a listener of %s", self.name)

    @callback
    @override
    def _async_refresh_finished(self) -> None:
        """After a successful poll: update issues, add and remove locks, fire the activity.

        Each lock's device is made (or updated from Seam) here, at the first poll and when the
        lock appears: once per lock, and its entities are given it (``SeamEntity``).
        """
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
        workspace_device_id = dr.async_get_device_id_by_identifier(
            self.hass,
            (DOMAIN, self.workspace.workspace_id),
            config_entry_id=self.config_entry.entry_id,
        )
        for device_id in current - (self._known_lock_ids or set()):
            lock = self.data[device_id]
            device_registry.async_get_or_create(
                config_entry_id=self.config_entry.entry_id,
                identifiers={(DOMAIN, device_id)},
                name=lock.display_name,
                manufacturer=lock.manufacturer,
                model=lock.model,
                serial_number=lock.serial_number,
                via_device_id=workspace_device_id,
            )
        if new_ids := sorted(current - known):
            for new_lock_callback in self.new_lock_callbacks:
                new_lock_callback(new_ids)
        self._known_lock_ids = current
        self._async_fire_activity()
