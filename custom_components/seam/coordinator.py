"""Coordinator for the Seam integration: push from Seam's webhooks, polling as the safety net."""

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import logging
from typing import Any, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_API_KEY
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .const import CONF_API_URL, DOMAIN
from .errors import update_error
from .issues import async_update_issues
from .seam_api import (
    AccessCode,
    Device,
    Event,
    SeamAuthError,
    SeamClient,
    SeamError,
    SeamNotFoundError,
    SeamResponseError,
    Workspace,
)
from .webhook import SeamPush

_LOGGER = logging.getLogger(__name__)

# Seam event type -> the event entity's event type.
ACTIVITY_EVENT_TYPES = {"lock.locked": "locked", "lock.unlocked": "unlocked"}
# Access code events read in the same request: one of them about a code whose PIN the
# integration is waiting for makes the poll read that code (see ``async_access_code_updated``).
ACCESS_CODE_EVENT_TYPES = (
    "access_code.set_on_device",
    "access_code.changed",
    "access_code.code_changed",
    "access_code.scheduled_on_device",
)
# The Home Assistant event fired when a PIN that Seam had not assigned yet is assigned.
EVENT_ACCESS_CODE_READY = "seam_access_code_ready"
# A code without a PIN found by a poll is watched for its PIN when it starts later than this.
WATCH_CODES_STARTING_AFTER = timedelta(minutes=1)
# The events/list window of the next poll starts this much before the last fully read time;
# events read twice are recognised by id.
EVENTS_OVERLAP = timedelta(seconds=1)
# Seconds one request to Seam may take (connect to last byte) before it counts as failed.
REQUEST_TIMEOUT = 10.0
# Polling: every 30 s without push; with push working, every 10 min as a safety net.
POLL_INTERVAL = timedelta(seconds=30)
PUSH_POLL_INTERVAL = timedelta(minutes=10)
# A lock event the poll finds that push has not delivered this long after Seam created it means
# deliveries are not arriving: poll fast until a delivery arrives again.
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

type SeamConfigEntry = ConfigEntry[SeamCoordinator]


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingCode:
    """An access code created by an action whose PIN Seam has not assigned yet."""

    entity_id: str
    device_id: str
    name: str
    starts_at: datetime | None
    ends_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class LockActivity:
    """A lock or unlock reported by Seam's events (never carries a PIN)."""

    event_id: str
    device_id: str
    event_type: str
    method: str | None
    access_code_name: str | None
    occurred_at: datetime | None

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
    activity. Every lock's listeners are called when availability changed (outage or recovery).
    A poll that changes nothing calls no entity at all; listeners without a lock context are
    the base class's and are called after every poll.
    """

    config_entry: SeamConfigEntry
    workspace: Workspace

    def __init__(self, hass: HomeAssistant, entry: SeamConfigEntry) -> None:
        """Create the coordinator and its API client on Home Assistant's shared session."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=DOMAIN,
            update_interval=POLL_INTERVAL,
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
        # Event ids already applied (by push or poll), oldest first.
        self._seen_events: OrderedDict[str, None] = OrderedDict()
        self.push = SeamPush(hass, entry, self.client, self.async_handle_push_event)
        # Lock events seen by the poll that push never delivered (reset by the next delivery).
        self.push_missed = 0
        # Per lock: occurred_at of the latest lock event applied, and when push applied one.
        self._changed_at: dict[str, datetime] = {}
        self._pushed_at: dict[str, datetime] = {}
        self._fetching: set[str] = set()
        # Ids of the events read at or after _events_since - EVENTS_OVERLAP (read again next poll).
        self._last_event_ids: set[str] = set()
        # Access code id -> its name (None: no name), looked up once.
        self._code_names: dict[str, str | None] = {}
        # Access code id -> a code created by an action that waits for its PIN; the pending codes
        # Seam reported an event about that were not read successfully yet.
        self.pending_codes: dict[str, PendingCode] = {}
        # Device id -> the lock's access codes as last read (absent: not read yet).
        self.access_codes: dict[str, tuple[AccessCode, ...]] = {}
        # Device id -> the callbacks of the entities that show its access codes.
        self._codes_listeners: dict[str, list[CALLBACK_TYPE]] = {}
        # The lock whose codes the previous poll read (one lock per poll, in turn).
        self._codes_read_last = ""
        self._codes_with_news: set[str] = set()
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

    @property
    def push_healthy(self) -> bool:
        """Whether push is set up and no lock event the poll found went undelivered."""
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
        if len(self._seen_events) > MAX_SEEN_EVENTS:
            self._seen_events.popitem(last=False)
        return True

    @override
    async def _async_update_data(self) -> dict[str, Device]:
        self.new_activity = {}
        started = dt_util.utcnow()
        try:
            devices = await self.client.list_devices()
        except SeamError as err:
            raise update_error(err) from err
        locks = {device.device_id: device for device in devices if device.is_lock}
        # A lock event pushed while this list was on its way is newer than the list: keep it.
        for device_id, pushed_at in list(self._pushed_at.items()):
            if pushed_at >= started and device_id in locks and device_id in self.data:
                locks[device_id] = self.data[device_id]
            else:
                del self._pushed_at[device_id]
        await self._async_update_activity(locks)
        await self._async_read_next_access_codes(locks)
        return locks

    async def _async_update_activity(self, locks: dict[str, Device]) -> None:
        """Read the lock and access code events since the previous poll, all of them.

        One request for every lock while fewer than 500 events happened since the previous
        poll; more are read in further requests (``SeamClient.list_events``). The next poll
        starts where this one read completely, so no event is lost or reported twice.
        """
        since = self._events_since or dt_util.utcnow() - POLL_INTERVAL
        try:
            read = await self.client.list_events(
                since - EVENTS_OVERLAP,
                event_types=[*ACTIVITY_EVENT_TYPES, *ACCESS_CODE_EVENT_TYPES],
            )
        except SeamAuthError as err:
            raise update_error(err) from err
        except SeamError as err:
            # Lock states matter more than their history: keep them, retry these next poll.
            _LOGGER.debug("Could not read Seam events since %s: %s", since, err)
            return
        last_ids = self._last_event_ids
        self._events_since = max(since, read.complete_until)
        self._last_event_ids = {
            event.event_id
            for event in read.events
            if event.created_at is None or event.created_at >= self._events_since - EVENTS_OVERLAP
        }
        codes_with_news = self._codes_with_news
        missed_before = dt_util.utcnow() - PUSH_GRACE
        for event in read.events:
            if event.event_id in last_ids:
                continue
            if event.event_type not in ACTIVITY_EVENT_TYPES:
                if event.access_code_id in self.pending_codes:
                    codes_with_news.add(event.access_code_id)
                continue
            if not self._remember(event.event_id) or event.device_id not in locks:
                continue
            if self.push.status.active and event.created_at and event.created_at < missed_before:
                self.push_missed += 1
            activity = LockActivity(
                event_id=event.event_id,
                device_id=event.device_id,
                event_type=ACTIVITY_EVENT_TYPES[event.event_type],
                method=event.method,
                access_code_name=await self._async_access_code_name(event),
                occurred_at=event.occurred_at or event.created_at,
            )
            self.activity[event.device_id] = activity
            self.new_activity.setdefault(event.device_id, []).append(activity)
        if self.push_missed:
            _LOGGER.debug("%s lock events arrived only by polling: polling fast", self.push_missed)
        self.async_update_poll_interval()
        await self._async_check_pending_codes()

    async def _async_access_code_name(self, event: Event) -> str | None:
        """Return the name of the access code an event reports, looked up once per code.

        Codes made outside Seam (e.g. in the Salto app) are unmanaged: their name comes from
        ``access_codes/unmanaged/get``.
        """
        access_code_id = event.access_code_id
        if access_code_id is None:
            return None
        if access_code_id in self._code_names:
            return self._code_names[access_code_id]
        lookups = [self.client.get_access_code, self.client.get_unmanaged_access_code]
        if event.access_code_is_managed is False:
            lookups.reverse()
        for lookup in lookups:
            try:
                access_code = await lookup(access_code_id)
            except SeamNotFoundError:
                continue
            except SeamError as err:
                # Not cached: the next event of this code tries again.
                _LOGGER.debug(
                    "Could not look up the access code of event %s: %s", event.event_id, err
                )
                return None
            self._code_names[access_code_id] = access_code.name or None
            return access_code.name or None
        self._code_names[access_code_id] = None
        return None

    # ---- the locks' access codes (shown by each lock's access codes sensor) ----------------

    async def _async_read_next_access_codes(self, locks: dict[str, Device]) -> None:
        """Read the access codes of one lock per poll, each lock with codes in turn.

        Seam's ``access_codes/list`` takes one ``device_id`` (its OpenAPI spec in
        ``@seamapi/types`` 1.977.0 has no ``device_ids``), so a poll adds one request however
        many locks there are: with N such locks, a lock's codes are read every N polls. The
        access code actions update a lock's codes at once, and so do pushed ``access_code.*``
        events; while push works, polls stop reading codes once every lock's were read.
        """
        with_codes = sorted(
            device_id
            for device_id, device in locks.items()
            if device.supports_access_codes
            # While push works, pushed access_code events and the actions keep the codes
            # current: a poll only fills the sensors of locks not read since the start.
            and not (self.push_healthy and device_id in self.access_codes)
        )
        if not with_codes:
            return
        device_id = next((lock for lock in with_codes if lock > self._codes_read_last), None)
        self._codes_read_last = device_id = device_id or with_codes[0]
        try:
            codes = await self.client.list_access_codes(device_id)
        except SeamAuthError as err:
            raise update_error(err) from err
        except SeamError as err:
            _LOGGER.debug("Could not read the access codes of %s: %s", device_id, err)
            return
        self._async_take_access_codes(device_id, codes)

    async def _async_read_pushed_access_codes(self, device_id: str) -> None:
        """Read one lock's access codes after a pushed ``access_code.*`` event about them."""
        try:
            codes = await self.client.list_access_codes(device_id)
        except SeamError as err:
            _LOGGER.debug("Could not read the access codes of %s: %s", device_id, err)
            return
        self._async_take_access_codes(device_id, codes)

    @callback
    def _async_take_access_codes(self, device_id: str, codes: list[AccessCode]) -> None:
        """Show a lock's codes just read, and watch the ones that get their PIN later."""
        self.async_set_access_codes(device_id, codes)
        # A code that gets its PIN at a later start (a future time-bound Salto KS code), e.g.
        # created before Home Assistant restarted: fire seam_access_code_ready for it too.
        # (Codes that start sooner are waited for by the create action.)
        registry = er.async_get(self.hass)
        later = dt_util.utcnow() + WATCH_CODES_STARTING_AFTER
        for access_code in codes:
            if (
                access_code.code is None
                and access_code.starts_at is not None
                and access_code.starts_at > later
                and access_code.access_code_id not in self.pending_codes
                and (entity_id := registry.async_get_entity_id("lock", DOMAIN, f"{device_id}-lock"))
            ):
                self.async_watch_access_code(entity_id, access_code)

    @callback
    def async_set_access_codes(self, device_id: str, codes: Iterable[AccessCode]) -> None:
        """Take a lock's current access codes; its access codes sensor updates if they changed."""
        codes = tuple(codes)
        if self.access_codes.get(device_id) == codes:
            return
        self.access_codes[device_id] = codes
        for update_callback in list(self._codes_listeners.get(device_id, ())):
            update_callback()

    @callback
    def async_access_code_removed(self, device_id: str, access_code_id: str) -> None:
        """Forget a code that was deleted."""
        if (codes := self.access_codes.get(device_id)) is not None:
            self.async_set_access_codes(
                device_id, (code for code in codes if code.access_code_id != access_code_id)
            )

    @callback
    def async_add_access_codes_listener(
        self, device_id: str, update_callback: CALLBACK_TYPE
    ) -> CALLBACK_TYPE:
        """Call ``update_callback`` when the lock's access codes change; return the remover."""
        listeners = self._codes_listeners.setdefault(device_id, [])
        listeners.append(update_callback)

        @callback
        def remove_listener() -> None:
            listeners.remove(update_callback)

        return remove_listener

    # ---- access codes waiting for their PIN ------------------------------------------------

    @callback
    def async_watch_access_code(self, entity_id: str, access_code: AccessCode) -> None:
        """Watch a code an action created without a PIN: fire ``seam_access_code_ready`` later.

        The poll reads it (``access_codes/get``, one request) when Seam reports an event about
        it, and once per poll after its ``starts_at`` has passed, until the PIN is there.
        """
        self.pending_codes[access_code.access_code_id] = PendingCode(
            entity_id=entity_id,
            device_id=access_code.device_id,
            name=access_code.name,
            starts_at=access_code.starts_at,
            ends_at=access_code.ends_at,
        )

    async def _async_check_pending_codes(self) -> None:
        """Read the pending codes that may have their PIN now (see ``async_watch_access_code``)."""
        now = dt_util.utcnow()
        self._codes_with_news &= self.pending_codes.keys()
        for access_code_id, pending in list(self.pending_codes.items()):
            if pending.ends_at is not None and pending.ends_at <= now:
                del self.pending_codes[access_code_id]
                continue
            started = pending.starts_at is None or pending.starts_at <= now
            if access_code_id not in self._codes_with_news and not started:
                continue
            try:
                access_code = await self.client.get_access_code(access_code_id)
            except SeamNotFoundError:
                del self.pending_codes[access_code_id]
                self._codes_with_news.discard(access_code_id)
                continue
            except SeamError as err:
                # Read again at the next poll.
                _LOGGER.debug("Could not read access code %s: %s", access_code_id, err)
                continue
            self._codes_with_news.discard(access_code_id)
            self.async_access_code_updated(access_code)

    @callback
    def async_access_code_updated(self, access_code: AccessCode) -> None:
        """Take a newer state of an access code from Seam (a poll, or later a push).

        When it is a code the integration waits for and it now has its PIN, fire the
        ``seam_access_code_ready`` event. Its data has no PIN (the recorder stores events and
        core logs them): ``seam.get_access_code`` answers it.
        """
        if (codes := self.access_codes.get(access_code.device_id)) is not None:
            ids = [code.access_code_id for code in codes]
            self.async_set_access_codes(
                access_code.device_id,
                [
                    access_code if code.access_code_id == access_code.access_code_id else code
                    for code in codes
                ]
                if access_code.access_code_id in ids
                else [*codes, access_code],
            )
        pending = self.pending_codes.get(access_code.access_code_id)
        if pending is None or access_code.code is None:
            return
        del self.pending_codes[access_code.access_code_id]
        _LOGGER.debug("Access code %s has its PIN now", access_code.access_code_id)
        self.hass.bus.async_fire(
            EVENT_ACCESS_CODE_READY,
            {
                "entity_id": pending.entity_id,
                "device_id": access_code.device_id,
                "access_code_id": access_code.access_code_id,
                "name": access_code.name,
                "starts_at": access_code.starts_at.isoformat() if access_code.starts_at else None,
                "ends_at": access_code.ends_at.isoformat() if access_code.ends_at else None,
            },
        )

    @callback
    def async_handle_push_event(self, data: dict[str, Any]) -> None:
        """Apply a verified webhook event: lock events at once, others by reading that device."""
        try:
            event = Event.from_api(data)
        except SeamResponseError:  # pragma: no cover - the verifier checked event_id already
            return
        if self._known_lock_ids is None:
            return  # before the first poll's end: that poll reads everything anyway
        if self.push_missed:
            self.push_missed = 0
            _LOGGER.debug("Seam webhook deliveries arrive again: polling every 10 minutes")
        self.async_update_poll_interval()
        if not self._remember(event.event_id):
            return
        if event.event_type in ACTIVITY_EVENT_TYPES:
            if event.access_code_id is None:
                self._async_apply_lock_event(event, None)
            else:
                self.config_entry.async_create_background_task(
                    self.hass, self._async_apply_coded_lock_event(event), "seam lock event"
                )
        elif event.event_type.startswith(_FULL_REFRESH_EVENT_PREFIXES):
            self.config_entry.async_create_background_task(
                self.hass, self.async_request_refresh(), "seam refresh"
            )
        elif event.access_code_id in self.pending_codes:
            # A code an action waits for: read it (its PIN may be assigned now).
            self._codes_with_news.add(event.access_code_id)
            self.config_entry.async_create_background_task(
                self.hass, self._async_check_pending_codes(), "seam access code"
            )
        elif (
            event.event_type.startswith("access_code.")
            and event.device_id is not None
            and (device := self.data.get(event.device_id)) is not None
            and device.supports_access_codes
        ):
            # A code on a lock changed at Seam: its access codes sensor shows it at once.
            self.config_entry.async_create_background_task(
                self.hass,
                self._async_read_pushed_access_codes(event.device_id),
                "seam access codes",
            )
        elif event.device_id in self.data and event.device_id not in self._fetching:
            self._fetching.add(event.device_id)
            self.config_entry.async_create_background_task(
                self.hass, self._async_fetch_device(event.device_id), "seam device"
            )

    async def _async_apply_coded_lock_event(self, event: Event) -> None:
        """Apply a lock event made with an access code, with the code's name."""
        self._async_apply_lock_event(event, await self._async_access_code_name(event))

    @callback
    def _async_apply_lock_event(self, event: Event, access_code_name: str | None) -> None:
        """Show a pushed lock / unlock at once, unless a later one was applied already."""
        device_id = event.device_id
        if device_id is None or (device := self.data.get(device_id)) is None:
            return
        occurred = event.occurred_at or event.created_at or dt_util.utcnow()
        if (latest := self._changed_at.get(device_id)) is not None and occurred < latest:
            return  # older than what is shown: state never goes backwards
        self._changed_at[device_id] = occurred
        locked = event.event_type == "lock.locked"
        activity = LockActivity(
            event_id=event.event_id,
            device_id=device_id,
            event_type=ACTIVITY_EVENT_TYPES[event.event_type],
            method=event.method,
            access_code_name=access_code_name,
            occurred_at=occurred,
        )
        self.activity[device_id] = activity
        self.new_activity = {device_id: [activity]}
        self._pushed_at[device_id] = dt_util.utcnow()
        data = dict(self.data)
        data[device_id] = device if device.locked is locked else replace(device, locked=locked)
        self.async_set_updated_data(data)

    async def _async_fetch_device(self, device_id: str) -> None:
        """Read one device after an event about it (never the whole list)."""
        try:
            device = await self.client.get_device(device_id)
        except SeamError as err:
            _LOGGER.debug("Could not read device %s after its event: %s", device_id, err)
            return
        finally:
            self._fetching.discard(device_id)
        if device_id not in self.data or not device.is_lock:
            return
        self.new_activity = {}
        self.async_set_updated_data({**self.data, device_id: device})
        async_update_issues(self.hass, self.config_entry, self.data.values())

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
            if not listeners:
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
