"""The locks' access codes as last read, and the codes that wait for their PIN.

A lock's codes are read with ``access_codes/list`` (Seam's spec takes one ``device_id``):

- at once, by the code actions and after a pushed ``access_code.*`` event about the lock;
- by the safety-net poll: every lock an ``access_code.*`` event names that the poll found and push
  did not deliver (so a missed delivery is corrected by the next poll), every lock with a code
  whose PIN is due, and one lock in turn (every poll without push; with push, a lock not read
  since the start each poll, then one every ``ROTATION_POLLS_WITH_PUSH`` polls).

Each lock's codes keep when they were read (the request's start): an older read never replaces
a newer one.

A code created without a PIN (a future Salto KS code) is watched. When its PIN arrives, in a read
or in an event that carries ``code`` (``access_code.set_on_device``, ``scheduled_on_device``,
``issued``), ``seam_access_code_ready`` fires. Its data has no PIN (the recorder stores events
and core logs them): ``seam.get_access_code`` answers it.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
import logging

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .seam_api import AccessCode, Device, Event, SeamClient, SeamError, SeamNotFoundError

_LOGGER = logging.getLogger(__name__)

# The Home Assistant event fired when a PIN that Seam had not assigned yet is assigned.
EVENT_ACCESS_CODE_READY = "seam_access_code_ready"
# A code without a PIN found in a read is watched for its PIN when it starts later than this.
WATCH_CODES_STARTING_AFTER = timedelta(minutes=1)
# While push works, the poll reads one lock's codes (in turn) every this many polls.
ROTATION_POLLS_WITH_PUSH = 3
# A poll reads the codes of this many locks with news at most (the rest at the next polls).
MAX_NEWS_READS_PER_POLL = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingCode:
    """An access code created by an action whose PIN Seam has not assigned yet."""

    entity_id: str
    device_id: str
    name: str
    starts_at: datetime | None
    ends_at: datetime | None


class AccessCodes:
    """The access codes of an entry's locks (never logged with their PINs)."""

    def __init__(self, hass: HomeAssistant, client: SeamClient) -> None:
        """Start with nothing read."""
        self.hass = hass
        self._client = client
        # Device id -> the lock's access codes as last read (absent: not read since the start),
        # and when that read started.
        self.by_lock: dict[str, tuple[AccessCode, ...]] = {}
        self.read_at: dict[str, datetime] = {}
        # Access code id -> a code that waits for its PIN; the ids of those that got it.
        self.pending: dict[str, PendingCode] = {}
        self._ready: set[str] = set()
        self._listeners: dict[str, list[CALLBACK_TYPE]] = {}
        # Locks whose codes changed at Seam since they were read.
        self._news: set[str] = set()
        # Access code id -> its name (None: no name), for lock activity.
        self._names: dict[str, str | None] = {}
        self._turn = ""
        self._polls = 0

    # ---- the cache and its listeners -------------------------------------------------------

    @callback
    def async_add_listener(self, device_id: str, update_callback: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``update_callback`` when the lock's access codes change; return the remover."""
        listeners = self._listeners.setdefault(device_id, [])
        listeners.append(update_callback)
        return partial(listeners.remove, update_callback)

    @callback
    def async_set(
        self, device_id: str, codes: Iterable[AccessCode], read_at: datetime | None = None
    ) -> None:
        """Take a lock's codes as read at ``read_at`` (default: now), unless newer ones are in."""
        read_at = read_at or dt_util.utcnow()
        if (newest := self.read_at.get(device_id)) is not None and read_at < newest:
            return
        self.read_at[device_id] = read_at
        codes = tuple(codes)
        # A waited-for code the lock no longer has (deleted at Seam) waits no more.
        listed = {access_code.access_code_id for access_code in codes}
        for access_code_id, pending in list(self.pending.items()):
            if pending.device_id == device_id and access_code_id not in listed:
                self.pending.pop(access_code_id, None)
        later = read_at + WATCH_CODES_STARTING_AFTER
        for access_code in codes:
            self._async_deliver(access_code.access_code_id, access_code.code, access_code)
            if (
                access_code.code is None
                and access_code.starts_at is not None
                and access_code.starts_at > later
                and access_code.access_code_id not in self.pending
                and access_code.access_code_id not in self._ready  # a read older than its PIN
                and (
                    entity_id := er.async_get(self.hass).async_get_entity_id(
                        "lock", DOMAIN, f"{device_id}-lock"
                    )
                )
            ):
                # A future code made before a restart or outside Home Assistant.
                self.async_watch(entity_id, access_code)
        self._async_store(device_id, codes)

    @callback
    def async_updated(self, access_code: AccessCode) -> None:
        """Take the current state of one code (an action's result)."""
        self._async_deliver(access_code.access_code_id, access_code.code, access_code)
        device_id = access_code.device_id
        if (codes := self.by_lock.get(device_id)) is None:
            return
        if any(code.access_code_id == access_code.access_code_id for code in codes):
            codes = tuple(
                access_code if code.access_code_id == access_code.access_code_id else code
                for code in codes
            )
        else:
            codes = (*codes, access_code)
        self.read_at[device_id] = dt_util.utcnow()  # reads started before are older
        self._async_store(device_id, codes)

    @callback
    def async_removed(self, device_id: str, access_code_id: str) -> None:
        """Forget a code that was deleted."""
        self.pending.pop(access_code_id, None)
        self._ready.discard(access_code_id)
        if (codes := self.by_lock.get(device_id)) is not None:
            self.read_at[device_id] = dt_util.utcnow()  # reads started before are older
            self._async_store(
                device_id, tuple(code for code in codes if code.access_code_id != access_code_id)
            )

    @callback
    def _async_store(self, device_id: str, codes: tuple[AccessCode, ...]) -> None:
        """Keep a lock's codes; its listeners hear of a change (a read finding none: nothing)."""
        if self.by_lock.get(device_id) == codes:
            return
        self.by_lock[device_id] = codes
        for update_callback in list(self._listeners.get(device_id, ())):
            update_callback()

    # ---- reads -----------------------------------------------------------------------------

    async def async_read(self, device_id: str) -> None:
        """Read one lock's codes (after news of them, or in turn); a failure is retried later."""
        started = dt_util.utcnow()
        news = device_id in self._news
        self._news.discard(device_id)
        try:
            codes = await self._client.list_access_codes(device_id)
        except SeamError as err:
            _LOGGER.debug("Could not read the access codes of %s: %s", device_id, err)
            if news:
                self._news.add(device_id)
            return
        self.async_set(device_id, codes, started)

    @callback
    def async_take_event(self, event: Event, locks: Mapping[str, Device]) -> bool:
        """Note an ``access_code.*`` event; True if its lock's codes are to be read."""
        if event.access_code_id is not None:
            self._async_deliver(event.access_code_id, event.code)
        device_id = event.device_id
        if device_id is None or (device := locks.get(device_id)) is None:
            return False
        if not device.supports_access_codes:
            return False
        self._news.add(device_id)
        return True

    async def async_poll(self, locks: Mapping[str, Device], push_healthy: bool) -> None:
        """Read the locks with news, those with a code whose PIN is due, and one lock in turn."""
        now = dt_util.utcnow()
        for access_code_id, pending in list(self.pending.items()):
            if pending.ends_at is not None and pending.ends_at <= now:
                self.pending.pop(access_code_id, None)
            elif pending.starts_at is None or pending.starts_at <= now:
                self._news.add(pending.device_id)
        with_codes = sorted(
            device_id for device_id, device in locks.items() if device.supports_access_codes
        )
        self._news.intersection_update(with_codes)
        due = sorted(self._news)[:MAX_NEWS_READS_PER_POLL]
        self._polls += 1
        unread = [device_id for device_id in with_codes if device_id not in self.by_lock]
        rotate = not push_healthy or self._polls % ROTATION_POLLS_WITH_PUSH == 1
        if (rotate or unread) and (candidates := unread or with_codes):
            self._turn = next((lock for lock in candidates if lock > self._turn), candidates[0])
            due.append(self._turn)
        for device_id in dict.fromkeys(due):
            await self.async_read(device_id)

    # ---- codes waiting for their PIN ---------------------------------------------------------

    @callback
    def async_watch(self, entity_id: str, access_code: AccessCode) -> None:
        """Watch a code without a PIN: fire ``seam_access_code_ready`` when it gets one."""
        self.pending[access_code.access_code_id] = PendingCode(
            entity_id=entity_id,
            device_id=access_code.device_id,
            name=access_code.name,
            starts_at=access_code.starts_at,
            ends_at=access_code.ends_at,
        )

    @callback
    def _async_deliver(
        self, access_code_id: str, pin: str | None, access_code: AccessCode | None = None
    ) -> None:
        """Take a PIN that arrived (read or event): fire the ready event if its code waits."""
        if pin is None or (pending := self.pending.pop(access_code_id, None)) is None:
            return
        self._ready.add(access_code_id)
        _LOGGER.debug("Access code %s has its PIN now", access_code_id)
        name, starts_at, ends_at = (
            (access_code.name, access_code.starts_at, access_code.ends_at)
            if access_code is not None
            else (pending.name, pending.starts_at, pending.ends_at)
        )
        self.hass.bus.async_fire(
            EVENT_ACCESS_CODE_READY,
            {
                "access_code_id": access_code_id,
                "device_id": pending.device_id,
                "entity_id": pending.entity_id,
                "name": name,
                "starts_at": starts_at.isoformat() if starts_at else None,
                "ends_at": ends_at.isoformat() if ends_at else None,
            },
        )

    # ---- names for lock activity -------------------------------------------------------------

    async def async_name(self, event: Event) -> str | None:
        """Return the name of the access code a lock event reports, looked up once per code.

        From the lock's codes when they were read; else ``access_codes/get``, or for codes made
        outside Seam (e.g. in the Salto app) ``access_codes/unmanaged/get``.
        """
        access_code_id = event.access_code_id
        if access_code_id is None:
            return None
        for code in self.by_lock.get(event.device_id or "", ()):
            if code.access_code_id == access_code_id:
                return code.name or None
        if access_code_id in self._names:
            return self._names[access_code_id]
        lookups = [self._client.get_access_code, self._client.get_unmanaged_access_code]
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
            self._names[access_code_id] = access_code.name or None
            return access_code.name or None
        self._names[access_code_id] = None
        return None
