"""Websocket API of the "Manage access" card: each lock's access codes, live, and changes to them.

Every command requires an administrator (``require_admin``). The changes run the
access code actions' own code on one lock (``services.async_run_on_lock``): the same checks, the
same Seam calls, the same translated errors. PINs travel only in the answers of ``create`` and
``get``; the subscription never carries one (it says ``has_pin``).

- ``seam/access_codes/subscribe`` ``{entity_ids?}``: result ``null``, then events
  ``{"locks": [lock, ...]}``: first every requested lock (default: every Seam lock with access
  codes), then each lock whose codes or state changed; ``{"locks": [], "ended": true}`` when the
  Seam entry unloads (e.g. a reload): subscribe again.
- ``seam/access_codes/create`` ``{entity_ids, name, starts_at?, ends_at?, code?, wait_for_code?}``:
  ``{"results": {entity_id: {"access_code": {...}} | {"error": {...}}}}``, one per lock.
- ``seam/access_codes/update``
  ``{entity_id, access_code_id, name?, starts_at?, ends_at?, ongoing?}``
- ``seam/access_codes/delete`` ``{entity_id, access_code_id}``
- ``seam/access_codes/get`` ``{entity_id, access_code_id}``: one code with its PIN (``code``).
"""

import asyncio
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import datetime
import logging
from typing import Any, Final

from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.const import (
    ERR_HOME_ASSISTANT_ERROR,
    ERR_INVALID_FORMAT,
    ERR_SERVICE_VALIDATION_ERROR,
    WebSocketCommandHandler,
)
from homeassistant.components.websocket_api.decorators import (
    async_response,
    require_admin,
    websocket_command,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
import probatio

from .const import DOMAIN
from .coordinator import SeamConfigEntry, SeamCoordinator
from .errors import invalid
from .seam_api import AccessCode, Device
from .services import (
    ACTIVE_STATUSES,
    SERVICE_CREATE_ACCESS_CODE,
    SERVICE_DELETE_ACCESS_CODE,
    SERVICE_GET_ACCESS_CODE,
    SERVICE_LIST_ACCESS_CODES,
    SERVICE_UPDATE_ACCESS_CODE,
    STATUS_REMOVING,
    async_run_on_lock,
)

_LOGGER = logging.getLogger(__name__)

# Message keys that are not the action's data.
_MESSAGE_KEYS: Final = frozenset({"id", "type", "entity_id", "entity_ids"})


@callback
def async_setup(hass: HomeAssistant) -> None:
    """Register the commands (once, from async_setup)."""
    for command in (
        websocket_subscribe,
        websocket_create,
        websocket_update,
        websocket_delete,
        websocket_get,
    ):
        async_register_command(hass, command)


# ---- where a lock's codes come from ---------------------------------------------------------


@callback
def async_watch_lock_codes(
    coordinator: SeamCoordinator,
    device_id: str,
    on_change: Callable[[Sequence[AccessCode] | None], None],
) -> tuple[Callable[[], Sequence[AccessCode] | None], CALLBACK_TYPE]:
    """Call ``on_change`` with a lock's codes (None: not read yet) whenever they change.

    The card's one link to where the codes are kept. Returns a function that reads the codes
    now, and the listener's remover.
    """

    @callback
    def _current() -> Sequence[AccessCode] | None:
        return coordinator.access_codes.get(device_id)

    @callback
    def _changed() -> None:
        on_change(_current())

    return _current, coordinator.async_add_access_codes_listener(device_id, _changed)


# ---- subscriptions end when their entry unloads -----------------------------------------------

_UNLOAD_CALLBACKS: HassKey[dict[str, set[CALLBACK_TYPE]]] = HassKey(f"{DOMAIN}_ws_unload")


@callback
def _async_on_entry_unload(
    hass: HomeAssistant, entry: SeamConfigEntry, on_unload: CALLBACK_TYPE
) -> CALLBACK_TYPE:
    """Call ``on_unload`` when the entry unloads (once); return a remover.

    One unload callback per loaded entry calls the subscriptions' callbacks, so that
    subscriptions that come and go leave nothing behind on the entry.
    """
    by_entry = hass.data.setdefault(_UNLOAD_CALLBACKS, {})
    if (callbacks := by_entry.get(entry.entry_id)) is None:
        callbacks = by_entry[entry.entry_id] = set()

        @callback
        def _unloaded() -> None:
            for unloaded in list(by_entry.pop(entry.entry_id, ())):
                unloaded()

        entry.async_on_unload(_unloaded)
    callbacks.add(on_unload)
    return lambda: callbacks.discard(on_unload)


# ---- locks ----------------------------------------------------------------------------------


class _Lock:
    """A Seam lock entity: its coordinator and Seam device id."""

    def __init__(self, entity_id: str, coordinator: SeamCoordinator, device_id: str) -> None:
        self.entity_id = entity_id
        self.coordinator = coordinator
        self.device_id = device_id

    @property
    def device(self) -> Device | None:
        """The lock's latest state at Seam (None once Seam no longer reports it)."""
        return self.coordinator.data.get(self.device_id)


def _seam_locks(hass: HomeAssistant) -> dict[str, _Lock]:
    """Every lock entity of a loaded Seam entry whose lock has access codes, by entity id."""
    registry = er.async_get(hass)
    locks: dict[str, _Lock] = {}
    entry: SeamConfigEntry
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is not ConfigEntryState.LOADED:
            continue
        coordinator = entry.runtime_data
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
            device_id = entity.unique_id.removesuffix("-lock")
            if (
                entity.domain == Platform.LOCK
                and entity.unique_id.endswith("-lock")
                and (device := coordinator.data.get(device_id)) is not None
                and device.supports_access_codes
            ):
                locks[entity.entity_id] = _Lock(entity.entity_id, coordinator, device_id)
    return locks


def _lock(hass: HomeAssistant, entity_id: str) -> _Lock:
    """Return the Seam lock with that entity id, or raise a translated validation error."""
    if (lock := _seam_locks(hass).get(entity_id)) is None:
        raise invalid("not_a_seam_lock", entity_id=entity_id)
    return lock


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def code_state(access_code: AccessCode, device: Device | None, now: datetime) -> str:
    """Return what a code is doing now, in one word the card puts into words.

    ``failed`` (Seam reports errors on it), ``removing``, ``expired`` (its end passed),
    ``pin_pending`` (the lock assigns the PIN later: a Salto KS code before its start),
    ``setting`` (being programmed, or waiting for the PIN it gets soon), ``on_lock``,
    ``scheduled`` (not active before its start), ``unknown``.
    """
    if access_code.errors:
        return "failed"
    if access_code.status == STATUS_REMOVING:
        return "removing"
    if access_code.ends_at is not None and access_code.ends_at <= now:
        return "expired"
    waiting = access_code.code is None or access_code.is_waiting_for_code_assignment
    starts_later = access_code.starts_at is not None and access_code.starts_at > now
    if waiting and starts_later and device is not None and device.is_salto:
        return "pin_pending"
    if access_code.status == "setting" or (waiting and access_code.status != "unset"):
        return "setting"
    if access_code.status == "set":
        return "on_lock"
    if access_code.status == "unset" and starts_later:
        return "scheduled"
    return "unknown"


def _code_info(access_code: AccessCode, device: Device | None, now: datetime) -> dict[str, Any]:
    """Return a code as the subscription sends it: never the PIN."""
    return {
        "access_code_id": access_code.access_code_id,
        "name": access_code.name,
        "type": access_code.type,
        "status": access_code.status,
        "state": code_state(access_code, device, now),
        "starts_at": _iso(access_code.starts_at),
        "ends_at": _iso(access_code.ends_at),
        "has_pin": access_code.code is not None,
        "is_managed": access_code.is_managed,
        "errors": [{"code": i.code, "message": i.message} for i in access_code.errors],
        "warnings": [{"code": i.code, "message": i.message} for i in access_code.warnings],
    }


def _lock_info(
    hass: HomeAssistant, lock: _Lock, codes: Sequence[AccessCode] | None
) -> dict[str, Any]:
    """Return a lock as the subscription sends it: what the card shows, what the form needs."""
    device = lock.device
    state = hass.states.get(lock.entity_id)
    now = dt_util.utcnow()
    return {
        "entity_id": lock.entity_id,
        "device_id": lock.device_id,
        "name": (
            state.attributes.get("friendly_name")
            if state is not None
            else (device.display_name if device else lock.entity_id)
        ),
        "online": device.online is not False if device else False,
        "is_salto": device.is_salto if device else False,
        "can_choose_pin": bool(device and device.can_specify_pin_code and not device.is_salto),
        "code_lengths": list(device.supported_code_lengths) if device else [],
        "name_max_length": device.name_max_length if device else None,
        "max_active_codes": device.max_active_codes_supported if device else None,
        "active_codes": (
            None if codes is None else sum(1 for code in codes if code.status in ACTIVE_STATUSES)
        ),
        "codes": None if codes is None else [_code_info(code, device, now) for code in codes],
    }


# ---- commands -------------------------------------------------------------------------------


async def _answer(
    connection: ActiveConnection,
    msg_id: int,
    work: Coroutine[Any, Any, Any],
) -> None:
    """Send the result of ``work``, or its error as the actions word it (never logged here).

    Home Assistant's own error path logs every failed command at error level, with the
    message; a create's message may hold a PIN, and a user's mistake is no error of the system.
    """
    try:
        result = await work
    except probatio.Invalid as err:
        connection.send_error(msg_id, ERR_INVALID_FORMAT, str(err))
    except HomeAssistantError as err:
        connection.send_error(msg_id, *_error(err))
    else:
        connection.send_result(msg_id, result)


type _ErrorFields = tuple[str, str, str | None, str | None, dict[str, Any] | None]


def _error(err: HomeAssistantError) -> _ErrorFields:
    """Return the websocket error fields of an action's error (code, message, translation)."""
    code = (
        ERR_SERVICE_VALIDATION_ERROR
        if isinstance(err, ServiceValidationError)
        else ERR_HOME_ASSISTANT_ERROR
    )
    return (
        code,
        str(err),
        err.translation_key,
        err.translation_domain,
        dict(err.translation_placeholders or {}) or None,
    )


def _action_data(msg: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in msg.items() if key not in _MESSAGE_KEYS}


async def _run(hass: HomeAssistant, entity_id: str, action: str, data: Mapping[str, Any]) -> Any:
    lock = _lock(hass, entity_id)
    return await async_run_on_lock(lock.coordinator, entity_id, lock.device_id, action, data)


@websocket_command(
    {
        probatio.Required("type"): "seam/access_codes/subscribe",
        probatio.Optional("entity_ids"): [cv.entity_id],
    }
)
@require_admin
@async_response
async def websocket_subscribe(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Send the locks' codes now and whenever they change, until unsubscribed."""
    every = _seam_locks(hass)
    wanted = msg.get("entity_ids")
    if wanted is not None:
        for entity_id in wanted:
            if entity_id not in every:
                connection.send_error(
                    msg["id"], *_error(invalid("not_a_seam_lock", entity_id=entity_id))
                )
                return
    locks = [every[entity_id] for entity_id in wanted or sorted(every)]
    removers: list[CALLBACK_TYPE] = []
    first: list[dict[str, Any]] = []
    unread: list[_Lock] = []
    sent: dict[str, dict[str, Any]] = {}

    @callback
    def _send(lock: _Lock, codes: Sequence[AccessCode] | None) -> None:
        """Send a lock when what the card shows of it changed."""
        info = _lock_info(hass, lock, codes)
        if sent.get(lock.entity_id) != info:
            sent[lock.entity_id] = info
            connection.send_event(msg["id"], {"locks": [info]})

    for lock in locks:

        @callback
        def _codes_changed(codes: Sequence[AccessCode] | None, lock: _Lock = lock) -> None:
            _send(lock, codes)

        current, remove = async_watch_lock_codes(lock.coordinator, lock.device_id, _codes_changed)

        @callback
        def _lock_changed(
            lock: _Lock = lock, current: Callable[[], Sequence[AccessCode] | None] = current
        ) -> None:
            _send(lock, current())

        removers.append(remove)
        removers.append(lock.coordinator.async_add_listener(_lock_changed, lock.device_id))
        first.append(sent.setdefault(lock.entity_id, _lock_info(hass, lock, current())))
        if current() is None:
            unread.append(lock)

    @callback
    def _unsubscribe() -> None:
        for remove in removers:
            remove()
        removers.clear()

    @callback
    def _entry_unloaded() -> None:
        """Tell the card that the entry's coordinator is gone (it subscribes again)."""
        _unsubscribe()
        connection.send_event(msg["id"], {"locks": [], "ended": True})

    removers.extend(
        _async_on_entry_unload(hass, entry, _entry_unloaded)
        for entry in {lock.coordinator.config_entry for lock in locks}
    )
    connection.subscriptions[msg["id"]] = _unsubscribe
    connection.send_result(msg["id"])
    connection.send_event(msg["id"], {"locks": first})
    # Locks whose codes were not read since the start: read them now (the list action's path).
    for lock in unread:
        try:
            await async_run_on_lock(
                lock.coordinator, lock.entity_id, lock.device_id, SERVICE_LIST_ACCESS_CODES, {}
            )
        except HomeAssistantError as err:
            _LOGGER.debug("Could not read the access codes of %s: %s", lock.entity_id, err)


# The create message is checked inside the handler: Home Assistant logs a message that fails
# its command schema in full, and a create's message may hold a chosen PIN.
@websocket_command(
    probatio.All(
        probatio.Schema(
            {probatio.Required("type"): "seam/access_codes/create"}, extra=probatio.ALLOW_EXTRA
        )
    )
)
@require_admin
@async_response
async def websocket_create(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Create a code with the same name and window on each lock; answer each lock's result."""

    async def _create() -> dict[str, Any]:
        entity_ids: list[str] = probatio.Schema(
            probatio.All(cv.ensure_list, probatio.Length(min=1), [cv.entity_id])
        )(msg.get("entity_ids"))
        data = _action_data(msg)
        locks = [_lock(hass, entity_id) for entity_id in dict.fromkeys(entity_ids)]
        outcomes = await asyncio.gather(
            *(
                async_run_on_lock(
                    lock.coordinator,
                    lock.entity_id,
                    lock.device_id,
                    SERVICE_CREATE_ACCESS_CODE,
                    data,
                )
                for lock in locks
            ),
            return_exceptions=True,
        )
        results: dict[str, Any] = {}
        for lock, outcome in zip(locks, outcomes, strict=True):
            if isinstance(outcome, probatio.Invalid):
                raise outcome  # malformed data: the same for every lock
            if isinstance(outcome, HomeAssistantError):
                code, message, key, _domain, placeholders = _error(outcome)
                results[lock.entity_id] = {
                    "error": {
                        "code": code,
                        "message": message,
                        "translation_key": key,
                        "translation_placeholders": placeholders,
                    }
                }
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                results[lock.entity_id] = {"access_code": outcome}
        return {"results": results}

    await _answer(connection, msg["id"], _create())


def _code_change_command(
    command: str, action: str, fields: dict[Any, Any]
) -> WebSocketCommandHandler:
    """Make a command that runs an action on one of a lock's codes and answers ``null``."""

    @websocket_command(
        {
            probatio.Required("type"): command,
            probatio.Required("entity_id"): cv.entity_id,
            probatio.Required("access_code_id"): str,
            **fields,
        }
    )
    @require_admin
    @async_response
    async def _handler(
        hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
    ) -> None:
        await _answer(
            connection, msg["id"], _run(hass, msg["entity_id"], action, _action_data(msg))
        )

    return _handler


# Rename or reschedule a code, or make it ongoing (as seam.update_access_code).
websocket_update = _code_change_command(
    "seam/access_codes/update",
    SERVICE_UPDATE_ACCESS_CODE,
    {
        probatio.Optional("name"): str,
        probatio.Optional("starts_at"): str,
        probatio.Optional("ends_at"): str,
        probatio.Optional("ongoing"): bool,
    },
)
# Delete a code and wait until Seam confirms it (as seam.delete_access_code).
websocket_delete = _code_change_command("seam/access_codes/delete", SERVICE_DELETE_ACCESS_CODE, {})


@websocket_command(
    {
        probatio.Required("type"): "seam/access_codes/get",
        probatio.Required("entity_id"): cv.entity_id,
        probatio.Required("access_code_id"): str,
    }
)
@require_admin
@async_response
async def websocket_get(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Answer one code with its PIN, as Seam reports it now (as ``seam.get_access_code``)."""

    async def _get() -> Any:
        return await _run(hass, msg["entity_id"], SERVICE_GET_ACCESS_CODE, _action_data(msg))

    await _answer(connection, msg["id"], _get())
