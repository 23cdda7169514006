"""Access code actions on Seam locks: create, get, list, update, delete, delete expired.

An action targets one or more locks and runs on all of them side by side. Every lock finishes;
the response has each lock's result, keyed by entity id. If some locks fail, the action raises
one error naming every failed lock with its reason and the locks on which it succeeded (for
``create_access_code`` with the new code's ID: its PIN is read with ``get_access_code``).

Each lock's work uses the lock as it was when the action started (``_Target``), so a lock that
Seam stops reporting meanwhile does not break it.

Every action here reads PINs or grants or removes door access: all are for administrators
(``_async_check_admin``). A PIN leaves the integration only in the response of an action.
"""

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import logging
from typing import Any

from homeassistant.const import Platform
from homeassistant.core import (
    EntityServiceResponse,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, Unauthorized
from homeassistant.helpers import config_validation as cv, service
from homeassistant.util import dt as dt_util
import probatio

from .const import DOMAIN
from .coordinator import SeamCoordinator
from .entity import SeamEntity
from .errors import action_error, failed, invalid
from .seam_api import (
    AccessCode,
    Device,
    SeamActionAttemptTimeoutError,
    SeamConnectionError,
    SeamError,
    SeamNotFoundError,
)

_LOGGER = logging.getLogger(__name__)

SERVICE_CREATE_ACCESS_CODE = "create_access_code"
SERVICE_GET_ACCESS_CODE = "get_access_code"
SERVICE_LIST_ACCESS_CODES = "list_access_codes"
SERVICE_UPDATE_ACCESS_CODE = "update_access_code"
SERVICE_DELETE_ACCESS_CODE = "delete_access_code"
SERVICE_DELETE_EXPIRED_ACCESS_CODES = "delete_expired_access_codes"

# Any PIN, whatever the lock (spec: access_codes/create `code`, minLength 4, maxLength 12).
MIN_PIN_LENGTH = 4
MAX_PIN_LENGTH = 12

ATTR_ACCESS_CODE_ID = "access_code_id"
ATTR_CODE = "code"
ATTR_INCLUDE_PINS = "include_pins"
ATTR_ENDS_AT = "ends_at"
ATTR_NAME = "name"
ATTR_STARTS_AT = "starts_at"
ATTR_WAIT_FOR_CODE = "wait_for_code"
ATTR_ONGOING = "ongoing"
# How long create_access_code waits for Salto to assign a PIN, and how often it asks.
CODE_WAIT_TIMEOUT = 30.0
CODE_POLL_INTERVAL = 1.0
# After a create whose answer was lost, wait this long for Seam to finish it, then take a new
# code of that name created this recently as ours.
RECOVERY_DELAY = 2.0
RECOVERY_WINDOW = timedelta(minutes=1)
# Codes in these states are active on the lock and count against its limit
# (max_active_codes_supported); a future time-bound code ("unset") does not.
ACTIVE_STATUSES = frozenset({"set", "setting"})
# Seam is deleting a code in this state.
STATUS_REMOVING = "removing"
# Seam's device warning when the lock holds as many codes as it can.
WARNING_MAX_CODES_REACHED = "max_access_codes_reached"


@dataclass(frozen=True, slots=True)
class _Target:
    """One targeted lock, as it was when the action started."""

    coordinator: SeamCoordinator
    entity_id: str
    device_id: str
    lock: str  # the lock's name, for messages

    async def call[T](self, request: Awaitable[T]) -> T:
        """Await a client request, mapping its errors (a 401 starts re-authentication)."""
        try:
            result: T = await request
        except SeamError as err:
            raise action_error(self.coordinator, err, self.lock) from err
        return result

    async def change(self, request: Awaitable[Any], access_code_id: str) -> None:
        """Await an update or delete of a code; an attempt still pending is not a failure."""
        try:
            await request
        except SeamActionAttemptTimeoutError as err:
            # Seam accepted the change and is still carrying it out (a lock can take long).
            raise failed(
                "access_code_change_pending", lock=self.lock, access_code_id=access_code_id
            ) from err
        except SeamError as err:
            raise action_error(self.coordinator, err, self.lock) from err


# An action on one lock, given the action's validated data (the websocket API calls these too).
type _LockAction = Callable[[_Target, Mapping[str, Any]], Awaitable[ServiceResponse]]


type _ActionSpec = tuple[str, dict[Any, Any], _LockAction, SupportsResponse]


def _lock_actions() -> tuple[_ActionSpec, ...]:
    """Each action: its name, the schema of its data, what it does on one lock, its response."""
    schedule = {
        probatio.Optional(ATTR_STARTS_AT): cv.datetime,
        probatio.Optional(ATTR_ENDS_AT): cv.datetime,
    }
    return (
        (
            SERVICE_CREATE_ACCESS_CODE,
            {
                probatio.Required(ATTR_NAME): cv.string,
                **schedule,
                probatio.Optional(ATTR_CODE): cv.string,
                probatio.Optional(ATTR_WAIT_FOR_CODE, default=True): cv.boolean,
            },
            _async_create_access_code,
            SupportsResponse.OPTIONAL,
        ),
        (
            SERVICE_GET_ACCESS_CODE,
            {probatio.Required(ATTR_ACCESS_CODE_ID): cv.string},
            _async_get_access_code,
            SupportsResponse.ONLY,
        ),
        (
            SERVICE_LIST_ACCESS_CODES,
            {probatio.Optional(ATTR_INCLUDE_PINS, default=True): cv.boolean},
            _async_list_access_codes,
            SupportsResponse.ONLY,
        ),
        (
            SERVICE_UPDATE_ACCESS_CODE,
            {
                probatio.Required(ATTR_ACCESS_CODE_ID): cv.string,
                probatio.Optional(ATTR_NAME): cv.string,
                **schedule,
                probatio.Optional(ATTR_ONGOING, default=False): cv.boolean,
            },
            _async_update_access_code,
            SupportsResponse.NONE,
        ),
        (
            SERVICE_DELETE_ACCESS_CODE,
            {probatio.Required(ATTR_ACCESS_CODE_ID): cv.string},
            _async_delete_access_code,
            SupportsResponse.NONE,
        ),
        (
            SERVICE_DELETE_EXPIRED_ACCESS_CODES,
            {},
            _async_delete_expired_access_codes,
            SupportsResponse.OPTIONAL,
        ),
    )


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the access code actions (once, from async_setup)."""
    for name, schema, func, supports_response in _lock_actions():
        # Batched: HA calls the action once for all targeted locks, outside the lock platform's
        # PARALLEL_UPDATES semaphore, so that waiting for a PIN does not hold up (un)locking.
        service.async_register_batched_platform_entity_service(
            hass,
            DOMAIN,
            name,
            entity_domain=Platform.LOCK,
            schema=schema,
            func=_for_each_lock(func),
            supports_response=supports_response,
        )


def _for_each_lock(
    func: _LockAction,
) -> Callable[[list[SeamEntity], ServiceCall], Coroutine[Any, Any, EntityServiceResponse]]:
    """Run an action on each targeted lock side by side; answer keyed by entity id.

    Only for administrators and calls without a user (``_async_check_admin``). Every lock
    finishes. One targeted lock: its error as it is. Several, some of which failed: one error
    naming each failed lock with its reason, and the locks it succeeded on.
    """

    async def _async_run(entities: list[SeamEntity], call: ServiceCall) -> EntityServiceResponse:
        await _async_check_admin(call)
        targets = [
            _Target(
                entity.coordinator, entity.entity_id, entity.device_id, entity.device.display_name
            )
            for entity in entities
        ]
        results = await asyncio.gather(
            *(func(target, call.data) for target in targets), return_exceptions=True
        )
        errors: list[tuple[str, HomeAssistantError]] = []
        response: EntityServiceResponse = {}
        for entity, result in zip(entities, results, strict=True):
            if isinstance(result, HomeAssistantError):
                errors.append((entity.entity_id, result))
            elif isinstance(result, BaseException):
                raise result
            else:
                response[entity.entity_id] = result
        if not errors:
            return response
        if len(entities) == 1:
            raise errors[0][1]
        failures = "; ".join(f"{entity_id}: {err}" for entity_id, err in errors)
        if not response:
            raise failed("action_failed_on_locks", failures=failures)
        successes = ", ".join(_success(entity_id, result) for entity_id, result in response.items())
        raise failed("action_partly_failed", failures=failures, successes=successes)

    return _async_run


async def _async_check_admin(call: ServiceCall) -> None:
    """Refuse a user who is not an administrator (``Unauthorized``), as core's admin actions do.

    A call without a user (an automation, or a script it runs) passes.
    """
    if call.context.user_id is None:
        return
    user = await call.hass.auth.async_get_user(call.context.user_id)
    if user is None or not user.is_admin:
        raise Unauthorized(context=call.context)


def _success(entity_id: str, result: ServiceResponse) -> str:
    """Name a lock the action succeeded on (with the new code's ID, never its PIN)."""
    if result and isinstance(access_code_id := result.get(ATTR_ACCESS_CODE_ID), str):
        return f"{entity_id} ({ATTR_ACCESS_CODE_ID} {access_code_id})"
    return entity_id


# --------------------------------------------------------------------------------------------
# Actions (each gets one targeted lock and the call)
# --------------------------------------------------------------------------------------------


async def _async_create_access_code(target: _Target, data: Mapping[str, Any]) -> ServiceResponse:
    """Create an ongoing or time-bound code; wait for its PIN when it comes soon.

    A code whose PIN Seam assigns later (a future time-bound Salto KS code gets it at its
    start) is answered at once with ``code: null``; when Seam assigns it, the coordinator
    fires ``seam_access_code_ready`` (without the PIN: ``get_access_code`` reads it).
    """
    client = target.coordinator.client
    starts_at, ends_at = _validated_schedule(data.get(ATTR_STARTS_AT), data.get(ATTR_ENDS_AT))
    code: str | None = data.get(ATTR_CODE) or None  # an empty code: the lock chooses
    # An offline lock: Seam accepts the code and sets it when the lock is back online.
    device = await target.call(client.get_device(target.device_id))
    name = _validated_name(data[ATTR_NAME], device)
    lock = target.lock
    if code is not None:
        _validate_pin(code, device, lock)
    existing = await target.call(client.list_access_codes(target.device_id))
    limit = device.max_active_codes_supported
    active = sum(1 for existing_code in existing if existing_code.status in ACTIVE_STATUSES)
    if device.has_warning(WARNING_MAX_CODES_REACHED) or (limit is not None and active >= limit):
        raise invalid("max_codes_reached", lock=lock, count=str(active), max=str(limit or active))

    recovered = False
    try:
        access_code = await client.create_access_code(
            target.device_id, name, code=code, starts_at=starts_at, ends_at=ends_at
        )
    except SeamConnectionError as err:
        # The request may have reached Seam: look for the code instead of sending it again.
        access_code = await _async_find_created_code(target, name, existing, err)
        recovered = True
    except SeamError as err:
        raise action_error(target.coordinator, err, lock) from err
    _check_code_errors(access_code, lock)

    starts_later = starts_at is not None and starts_at > dt_util.utcnow() + timedelta(
        seconds=CODE_WAIT_TIMEOUT
    )
    if data[ATTR_WAIT_FOR_CODE] and access_code.code is None and not starts_later:
        access_code = await _async_wait_for_code(target, access_code)
    if access_code.code is None:
        target.coordinator.async_watch_access_code(target.entity_id, access_code)
    target.coordinator.async_set_access_codes(target.device_id, [*existing, access_code])
    return {
        **_code_response(access_code),
        "recovered": recovered,
        "lock_offline": device.online is False,
    }


async def _async_get_access_code(target: _Target, data: Mapping[str, Any]) -> ServiceResponse:
    """Return one of the lock's codes, with its PIN (``code: null`` until Seam assigns it)."""
    access_code_id: str = data[ATTR_ACCESS_CODE_ID]
    try:
        access_code = await target.coordinator.client.get_access_code(access_code_id)
    except SeamNotFoundError:
        access_code = None
    except SeamError as err:
        raise action_error(target.coordinator, err, target.lock) from err
    if access_code is None or access_code.device_id != target.device_id:
        raise invalid("access_code_not_on_lock", access_code_id=access_code_id, lock=target.lock)
    target.coordinator.async_access_code_updated(access_code)
    return _code_response(access_code)


async def _async_list_access_codes(target: _Target, data: Mapping[str, Any]) -> ServiceResponse:
    """Return the lock's access codes."""
    codes = await target.call(target.coordinator.client.list_access_codes(target.device_id))
    target.coordinator.async_set_access_codes(target.device_id, codes)
    describe = _code_response if data[ATTR_INCLUDE_PINS] else _code_without_pin
    return {"access_codes": [describe(access_code) for access_code in codes]}


async def _async_update_access_code(target: _Target, data: Mapping[str, Any]) -> None:
    """Rename, reschedule or make ongoing one of the lock's codes; wait until Seam confirms."""
    name: str | None = data.get(ATTR_NAME)
    starts_at: datetime | None = data.get(ATTR_STARTS_AT)
    ends_at: datetime | None = data.get(ATTR_ENDS_AT)
    ongoing: bool = data[ATTR_ONGOING]
    if name is None and starts_at is None and ends_at is None and not ongoing:
        raise invalid("update_nothing")
    if ongoing and (starts_at is not None or ends_at is not None):
        raise invalid("ongoing_with_schedule")
    device = await _async_online_device(target)
    if name is not None:
        name = _validated_name(name, device)
    current = await _async_code_on_lock(target, data[ATTR_ACCESS_CODE_ID])
    if starts_at is not None or ends_at is not None:
        # A missing bound keeps the code's current one.
        starts_at, ends_at = _validated_schedule(
            starts_at or current.starts_at, ends_at or current.ends_at
        )
    await target.change(
        target.coordinator.client.update_access_code(
            current.access_code_id,
            name=name,
            starts_at=starts_at,
            ends_at=ends_at,
            ongoing=ongoing,
        ),
        current.access_code_id,
    )
    # What Seam confirmed, for the lock's access codes sensor.
    updated = replace(current, name=name or current.name)
    if ongoing:
        updated = replace(updated, type="ongoing", starts_at=None, ends_at=None)
    elif starts_at is not None:
        updated = replace(updated, type="time_bound", starts_at=starts_at, ends_at=ends_at)
    target.coordinator.async_access_code_updated(updated)
    if ongoing and current.code is None:
        target.coordinator.async_watch_access_code(
            target.entity_id, replace(current, starts_at=None, ends_at=None)
        )


async def _async_delete_access_code(target: _Target, data: Mapping[str, Any]) -> None:
    """Delete one of the lock's codes and wait until Seam confirms it."""
    await _async_online_device(target)
    current = await _async_code_on_lock(target, data[ATTR_ACCESS_CODE_ID])
    await target.change(
        target.coordinator.client.delete_access_code(current.access_code_id),
        current.access_code_id,
    )
    target.coordinator.pending_codes.pop(current.access_code_id, None)
    target.coordinator.async_access_code_removed(target.device_id, current.access_code_id)


async def _async_delete_expired_access_codes(
    target: _Target, data: Mapping[str, Any]
) -> ServiceResponse:
    """Delete the lock's time-bound codes whose end has passed that Seam still lists.

    Seam removes an ended code by itself (status ``removing``, then it is deleted: Seam's
    "Lifecycle of access codes"), so this is for the codes that stay: those whose removal
    failed (``failed_to_remove_from_device``, ``failed_to_expire``), and ended codes Seam keeps
    listed (the same page announces that expired codes will stay until deleted). Codes Seam is
    removing without an error are left alone. Every such code is tried; if any deletion fails,
    the action fails after the others were deleted, naming Seam's reason.
    """
    client = target.coordinator.client
    codes = await target.call(client.list_access_codes(target.device_id))
    now = dt_util.utcnow()
    expired = [
        access_code
        for access_code in codes
        if access_code.type == "time_bound"
        and access_code.ends_at is not None
        and access_code.ends_at <= now
        and (access_code.status != STATUS_REMOVING or access_code.removal_failed)
    ]
    results = await asyncio.gather(
        *(client.delete_access_code(access_code.access_code_id) for access_code in expired),
        return_exceptions=True,
    )
    failures = [
        (access_code, result)
        for access_code, result in zip(expired, results, strict=True)
        if isinstance(result, BaseException)
    ]
    failed_ids = {access_code.access_code_id for access_code, _ in failures}
    deleted = [code for code in expired if code.access_code_id not in failed_ids]
    deleted_ids = {access_code.access_code_id for access_code in deleted}
    target.coordinator.async_set_access_codes(
        target.device_id, [code for code in codes if code.access_code_id not in deleted_ids]
    )
    if failures:
        access_code, err = failures[0]
        raise failed(
            "delete_expired_failed",
            name=access_code.name,
            lock=target.lock,
            deleted=str(len(deleted)),
            error=str(err),
        ) from err
    return {"deleted": [_code_without_pin(access_code) for access_code in deleted]}


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _validated_name(name: str, device: Device) -> str:
    """Return the name without surrounding spaces, within the lock's ``name_length`` constraint.

    Without such a constraint any non-empty name is sent, and Seam decides.
    """
    name = name.strip()
    low = max(device.name_min_length or 1, 1)
    high = device.name_max_length
    if len(name) < low or (high is not None and len(name) > high):
        if high is None:
            raise invalid("name_empty")
        raise invalid("name_invalid", min=str(low), max=str(high))
    return name


def _validate_pin(code: str, device: Device, lock: str) -> None:
    """Check a chosen PIN against what Seam documents for the lock.

    ``code_constraints`` (``cannot_specify_pin_code``; Salto KS locks, whose guide says Salto
    generates the PIN), the digits, and ``supported_code_lengths`` when the lock reports them.
    A lock that reports no lengths: the spec's bounds for any code (``access_codes/create``
    ``code``: minLength 4, maxLength 12); within them Seam decides, and its refusal is passed on.
    """
    if not device.can_specify_pin_code or device.is_salto:
        raise invalid(
            "code_not_allowed_salto" if device.is_salto else "code_not_allowed", lock=lock
        )
    if not (code.isascii() and code.isdigit()):
        raise invalid("code_not_digits")
    if device.supported_code_lengths:
        if len(code) not in device.supported_code_lengths:
            lengths = ", ".join(str(length) for length in device.supported_code_lengths)
            raise invalid("code_length_unsupported", lock=lock, lengths=lengths)
    elif not MIN_PIN_LENGTH <= len(code) <= MAX_PIN_LENGTH:
        raise invalid("code_length_invalid", min=str(MIN_PIN_LENGTH), max=str(MAX_PIN_LENGTH))


def _validated_schedule(
    starts_at: datetime | None, ends_at: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """Both bounds (time-bound) or neither (ongoing); naive times are in HA's time zone."""
    if starts_at is None and ends_at is None:
        return None, None
    if starts_at is None or ends_at is None:
        raise invalid("schedule_incomplete")
    starts_at, ends_at = _as_utc(starts_at), _as_utc(ends_at)
    if ends_at <= starts_at:
        raise invalid("end_before_start", starts_at=_local(starts_at), ends_at=_local(ends_at))
    if ends_at <= dt_util.utcnow():
        raise invalid("end_in_past", ends_at=_local(ends_at))
    return starts_at, ends_at


def _as_utc(value: datetime) -> datetime:
    """Return a time in UTC; it must be representable in UTC and in HA's time zone."""
    try:
        utc = dt_util.as_utc(value)
        dt_util.as_local(utc)
    except OverflowError:  # e.g. 9999-12-31 23:00 in a time zone west of UTC
        raise invalid("time_out_of_range", time=str(value)) from None
    return utc


def _local(value: datetime) -> str:
    """Format a time for an error message, in HA's time zone."""
    return dt_util.as_local(value).isoformat(sep=" ", timespec="minutes")


async def _async_online_device(target: _Target) -> Device:
    """Return the lock's current state from Seam; refuse to change codes while it is offline.

    A lock that was offline at the last poll is unavailable, and HA does not run actions on it;
    this catches a lock that went offline since. Offline is the lock's state, not bad input.
    """
    device = await target.call(target.coordinator.client.get_device(target.device_id))
    if device.online is False:
        raise failed("lock_offline", lock=target.lock)
    return device


async def _async_code_on_lock(target: _Target, access_code_id: str) -> AccessCode:
    """Return the lock's code with that id, or raise a validation error."""
    codes = await target.call(target.coordinator.client.list_access_codes(target.device_id))
    target.coordinator.async_set_access_codes(target.device_id, codes)
    for access_code in codes:
        if access_code.access_code_id == access_code_id:
            return access_code
    raise invalid("access_code_not_on_lock", access_code_id=access_code_id, lock=target.lock)


def _check_code_errors(access_code: AccessCode, lock: str) -> None:
    """Raise when Seam reports the code unusable (e.g. a Salto KS subscription problem)."""
    if access_code.errors:
        reason = "; ".join(
            f"{issue.message} ({issue.code})" if issue.message else issue.code
            for issue in access_code.errors
        )
        raise failed(
            "access_code_error",
            name=access_code.name,
            access_code_id=access_code.access_code_id,
            lock=lock,
            reason=reason,
        )


async def _async_find_created_code(
    target: _Target, name: str, before: list[AccessCode], err: SeamConnectionError
) -> AccessCode:
    """After a create with an unknown outcome: the code it made, if Seam has one."""
    lock = target.lock
    _LOGGER.debug(
        "Create access code on %s had no answer (%s); checking the lock's codes", lock, err
    )
    await asyncio.sleep(RECOVERY_DELAY)
    try:
        after = await target.coordinator.client.list_access_codes(target.device_id)
    except SeamError as list_err:
        raise failed("create_outcome_unknown", name=name, lock=lock, error=str(list_err)) from err
    known = {access_code.access_code_id for access_code in before}
    since = dt_util.utcnow() - RECOVERY_WINDOW
    candidates = [
        access_code
        for access_code in after
        if access_code.access_code_id not in known
        and access_code.name == name
        and (access_code.created_at is None or access_code.created_at >= since)
    ]
    if not candidates:
        raise failed("create_not_confirmed", name=name, lock=lock, error=str(err)) from err
    _LOGGER.debug("Found the access code created on %s despite the lost answer", lock)
    return max(candidates, key=lambda access_code: access_code.created_at or since)


async def _async_wait_for_code(target: _Target, access_code: AccessCode) -> AccessCode:
    """Poll the code until its PIN is assigned or CODE_WAIT_TIMEOUT passes."""
    client = target.coordinator.client
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CODE_WAIT_TIMEOUT
    while access_code.code is None and (remaining := deadline - loop.time()) > 0:
        await asyncio.sleep(min(CODE_POLL_INTERVAL, remaining))
        try:
            access_code = await client.get_access_code(access_code.access_code_id)
        except SeamError as err:
            # The code exists; report it without its PIN rather than fail the action.
            _LOGGER.debug("Could not poll access code %s: %s", access_code.access_code_id, err)
            break
        _check_code_errors(access_code, target.lock)
    if access_code.code is None:
        _LOGGER.debug("Access code %s has no PIN yet", access_code.access_code_id)
    return access_code


def _code_response(access_code: AccessCode) -> dict[str, Any]:
    """Return an access code as the actions answer it (datetimes as ISO 8601 strings)."""
    return {
        "access_code_id": access_code.access_code_id,
        "name": access_code.name,
        "type": access_code.type,
        "status": access_code.status,
        "code": access_code.code,
        "starts_at": access_code.starts_at.isoformat() if access_code.starts_at else None,
        "ends_at": access_code.ends_at.isoformat() if access_code.ends_at else None,
        "is_waiting_for_code_assignment": (
            access_code.is_waiting_for_code_assignment or access_code.code is None
        ),
        # Seam's error and warning codes of the access code (e.g. code_constraints_violated,
        # failed_to_remove_from_device, delay_in_issuing).
        "errors": [error.code for error in access_code.errors],
        "warnings": [warning.code for warning in access_code.warnings],
    }


def _code_without_pin(access_code: AccessCode) -> dict[str, Any]:
    """``_code_response`` without the PIN (for automations that need none: nothing in traces)."""
    response = _code_response(access_code)
    del response[ATTR_CODE]
    return response


async def async_run_on_lock(
    coordinator: SeamCoordinator,
    entity_id: str,
    device_id: str,
    action: str,
    data: Mapping[str, Any],
) -> ServiceResponse:
    """Run one access code action on one lock, as the action does (for the websocket API).

    ``data`` is validated with the action's own schema (``probatio.Invalid`` when malformed),
    then the action's checks and Seam calls run unchanged: the same translated errors.
    """
    schema, func = next((spec[1], spec[2]) for spec in _lock_actions() if spec[0] == action)
    target = _Target(coordinator, entity_id, device_id, coordinator.data[device_id].display_name)
    return await func(target, probatio.Schema(schema)(dict(data)))
