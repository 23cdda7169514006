"""Typed, frozen models of Seam API objects.

Each keeps only the fields the integration uses and tolerates unknown, missing or odd fields.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

from .errors import SeamResponseError

# --------------------------------------------------------------------------------------------
# Parsing helpers: each returns None (or a default) for a missing or wrongly typed value.
# --------------------------------------------------------------------------------------------


def get_str(data: Mapping[str, Any], key: str) -> str | None:
    """Return ``data[key]`` if it is a string, else None."""
    value = data.get(key)
    return value if isinstance(value, str) else None


def get_bool(data: Mapping[str, Any], key: str) -> bool | None:
    """Return ``data[key]`` if it is a boolean, else None."""
    value = data.get(key)
    return value if isinstance(value, bool) else None


def get_int(data: Mapping[str, Any], key: str) -> int | None:
    """Return ``data[key]`` if it is an integer (not a boolean), else None."""
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def get_float(data: Mapping[str, Any], key: str) -> float | None:
    """Return ``data[key]`` if it is a number, as a float, else None."""
    value = data.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def get_dict(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    """Return ``data[key]`` if it is a JSON object (else an empty dict)."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def get_list(data: Mapping[str, Any], key: str) -> list[Any]:
    """Return ``data[key]`` if it is a JSON array (else an empty list)."""
    value = data.get(key)
    return value if isinstance(value, list) else []


def get_datetime(data: Mapping[str, Any], key: str) -> datetime | None:
    """Return ``data[key]`` parsed as an ISO 8601 time (UTC if it has no offset), else None."""
    value = data.get(key)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _require_id(data: Any, key: str, model: str) -> str:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, str) or not value:
        raise SeamResponseError(f"Seam returned a {model} without {key}")
    return value


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------

# Seam's OpenAPI spec: the capabilities_supported value of a lock, and the lock device types.
CAPABILITY_LOCK = "lock"
CAPABILITY_ACCESS_CODE = "access_code"
LOCK_DEVICE_TYPES = frozenset(
    {
        "akiles_lock",
        "akuvox_lock",
        "august_lock",
        "avigilon_alta_entry",
        "brivo_access_point",
        "butterflymx_panel",
        "controlbyweb_device",
        "dormakaba_oracode_door",
        "doorking_lock",
        "four_suites_door",
        "genie_door",
        "hubitat_lock",
        "igloo_lock",
        "igloohome_lock",
        "kwikset_lock",
        "linear_lock",
        "lockly_lock",
        "nuki_lock",
        "salto_lock",
        "schlage_lock",
        "seam_relay",
        "smartthings_lock",
        "tedee_lock",
        "ttlock_lock",
        "two_n_intercom",
        "wyze_lock",
        "yale_lock",
    }
)


# Seam's access code errors (spec: access_code.errors[].error_code) a user acts on. Removing
# the code from the lock failed, so it may still open the door after its end
# (failed_to_expire: spec 1.1038.0).
ACCESS_CODE_REMOVAL_FAILED = frozenset({"failed_to_remove_from_device", "failed_to_expire"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Workspace:
    """A Seam workspace."""

    workspace_id: str
    name: str
    is_sandbox: bool

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Self:
        """Build from a Seam API object, tolerating unknown, missing or odd fields."""
        workspace_id = _require_id(data, "workspace_id", "workspace")
        return cls(
            workspace_id=workspace_id,
            name=get_str(data, "name") or workspace_id,
            is_sandbox=get_bool(data, "is_sandbox") is True,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SeamIssue:
    """An error or warning on a device, access code or connected account.

    ``code`` is Seam's ``error_code`` (errors) or ``warning_code`` (warnings).
    """

    code: str
    message: str
    created_at: datetime | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Self:
        """Build from a Seam API object, tolerating unknown, missing or odd fields."""
        return cls(
            code=get_str(data, "error_code") or get_str(data, "warning_code") or "unknown",
            message=get_str(data, "message") or "",
            created_at=get_datetime(data, "created_at"),
        )


def _parse_issues(items: Any) -> tuple[SeamIssue, ...]:
    if not isinstance(items, list):
        return ()
    return tuple(SeamIssue.from_api(item) for item in items if isinstance(item, dict))


@dataclass(frozen=True, slots=True, kw_only=True)
class Device:
    """A device (typically a lock) as listed by ``devices/list``."""

    device_id: str
    device_type: str
    capabilities_supported: tuple[str, ...]
    display_name: str
    connected_account_id: str
    workspace_id: str
    # Seam's capability flags: None when absent (the device has no such capability), False when
    # the device has it but it does not work now.
    can_remotely_lock: bool | None
    can_remotely_unlock: bool | None
    can_program_online_access_codes: bool
    online: bool | None
    locked: bool | None
    door_open: bool | None
    battery_level: float | None
    battery_status: str | None
    model: str | None
    manufacturer: str | None
    serial_number: str | None
    supported_code_lengths: tuple[int, ...]
    max_active_codes_supported: int | None
    # properties.code_constraints: the constraint_type of each (e.g. cannot_specify_pin_code),
    # and the name length limits of a name_length constraint.
    code_constraints: tuple[str, ...]
    name_min_length: int | None
    name_max_length: int | None
    errors: tuple[SeamIssue, ...]
    warnings: tuple[SeamIssue, ...]

    @property
    def can_specify_pin_code(self) -> bool:
        """Whether an access code's PIN can be chosen (no ``cannot_specify_pin_code``)."""
        return "cannot_specify_pin_code" not in self.code_constraints

    def has_warning(self, code: str) -> bool:
        """Whether Seam reports the warning ``code`` on the device."""
        return any(warning.code == code for warning in self.warnings)

    @property
    def is_lock(self) -> bool:
        """Whether the device is a lock: its kind, never its changeable state.

        Seam's ``capabilities_supported`` has ``"lock"`` for a device that controls a door
        locking mechanism; a device without that list counts by its ``device_type``.
        """
        if self.capabilities_supported:
            return CAPABILITY_LOCK in self.capabilities_supported
        return self.device_type in LOCK_DEVICE_TYPES

    @property
    def supports_access_codes(self) -> bool:
        """Whether the device has PIN access codes (``capabilities_supported``: ``access_code``).

        A device without that list counts by ``can_program_online_access_codes``.
        """
        if self.capabilities_supported:
            return CAPABILITY_ACCESS_CODE in self.capabilities_supported
        return self.can_program_online_access_codes

    @property
    def is_salto(self) -> bool:
        """Whether the device is a Salto lock."""
        return self.device_type.startswith("salto")

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Self:
        """Build from a Seam API object, tolerating unknown, missing or odd fields."""
        device_id = _require_id(data, "device_id", "device")
        props = get_dict(data, "properties")
        battery = get_dict(props, "battery")
        model = get_dict(props, "model")
        salto = get_dict(props, "salto_ks_metadata") or get_dict(props, "salto_metadata")
        battery_level = get_float(props, "battery_level")
        if battery_level is None:
            battery_level = get_float(battery, "level")
        constraints = [
            item for item in get_list(props, "code_constraints") if isinstance(item, dict)
        ]
        name_length = next(
            (item for item in constraints if item.get("constraint_type") == "name_length"), {}
        )
        min_length, max_length = (
            get_float(name_length, "min_length"),
            get_float(name_length, "max_length"),
        )
        return cls(
            device_id=device_id,
            device_type=get_str(data, "device_type") or "",
            capabilities_supported=tuple(
                item for item in get_list(data, "capabilities_supported") if isinstance(item, str)
            ),
            display_name=(get_str(data, "display_name") or get_str(props, "name") or device_id),
            connected_account_id=get_str(data, "connected_account_id") or "",
            workspace_id=get_str(data, "workspace_id") or "",
            can_remotely_lock=get_bool(data, "can_remotely_lock"),
            can_remotely_unlock=get_bool(data, "can_remotely_unlock"),
            can_program_online_access_codes=(
                get_bool(data, "can_program_online_access_codes") is True
            ),
            online=get_bool(props, "online"),
            locked=get_bool(props, "locked"),
            door_open=get_bool(props, "door_open"),
            battery_level=battery_level,
            battery_status=get_str(battery, "status"),
            # Device info from Seam's documented fields: the model's display name (for Salto KS
            # salto_ks_metadata.model), device_manufacturer, properties.serial_number.
            model=get_str(model, "display_name") or get_str(salto, "model"),
            manufacturer=(
                get_str(get_dict(data, "device_manufacturer"), "display_name")
                or get_str(model, "manufacturer_display_name")
                or get_str(props, "manufacturer")
            ),
            serial_number=get_str(props, "serial_number") or get_str(salto, "lock_id"),
            supported_code_lengths=tuple(
                length
                for length in get_list(props, "supported_code_lengths")
                if isinstance(length, int) and not isinstance(length, bool)
            ),
            max_active_codes_supported=get_int(props, "max_active_codes_supported"),
            code_constraints=tuple(
                value
                for item in constraints
                if isinstance(value := item.get("constraint_type"), str)
            ),
            name_min_length=None if min_length is None else int(min_length),
            name_max_length=None if max_length is None else int(max_length),
            errors=_parse_issues(data.get("errors")),
            warnings=_parse_issues(data.get("warnings")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionAttempt:
    """An asynchronous action (lock, unlock, delete access code, ...)."""

    action_attempt_id: str
    action_type: str
    status: str
    error_type: str | None
    error_message: str | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Self:
        """Build from a Seam API object, tolerating unknown, missing or odd fields."""
        error = get_dict(data, "error")
        return cls(
            action_attempt_id=_require_id(data, "action_attempt_id", "action attempt"),
            action_type=get_str(data, "action_type") or "",
            status=get_str(data, "status") or "unknown",
            error_type=get_str(error, "type"),
            error_message=get_str(error, "message"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessCode:
    """An access code (PIN) on a device. ``repr()`` never shows the code."""

    access_code_id: str
    device_id: str
    name: str
    code: str | None = field(repr=False)
    type: str
    status: str
    starts_at: datetime | None
    ends_at: datetime | None
    is_waiting_for_code_assignment: bool
    created_at: datetime | None
    is_managed: bool
    errors: tuple[SeamIssue, ...]
    warnings: tuple[SeamIssue, ...]

    @property
    def removal_failed(self) -> bool:
        """Whether Seam failed to remove the code from the lock (it may still open the door)."""
        return any(error.code in ACCESS_CODE_REMOVAL_FAILED for error in self.errors)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Self:
        """Build from a Seam API object, tolerating unknown, missing or odd fields."""
        starts_at = get_datetime(data, "starts_at")
        ends_at = get_datetime(data, "ends_at")
        default_type = "time_bound" if starts_at or ends_at else "ongoing"
        return cls(
            access_code_id=_require_id(data, "access_code_id", "access code"),
            device_id=get_str(data, "device_id") or "",
            name=get_str(data, "name") or "",
            code=get_str(data, "code"),
            type=get_str(data, "type") or default_type,
            status=get_str(data, "status") or "unknown",
            starts_at=starts_at,
            ends_at=ends_at,
            is_waiting_for_code_assignment=(
                get_bool(data, "is_waiting_for_code_assignment") is True
            ),
            created_at=get_datetime(data, "created_at"),
            is_managed=get_bool(data, "is_managed") is not False,
            errors=_parse_issues(data.get("errors")),
            warnings=_parse_issues(data.get("warnings")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectWebview:
    """A Connect Webview. ``url`` carries an auth token: it is hidden from ``repr()``."""

    connect_webview_id: str
    url: str = field(repr=False)
    status: str
    login_successful: bool
    connected_account_id: str | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Self:
        """Build from a Seam API object, tolerating unknown, missing or odd fields."""
        return cls(
            connect_webview_id=_require_id(data, "connect_webview_id", "connect webview"),
            url=get_str(data, "url") or "",
            status=get_str(data, "status") or "unknown",
            login_successful=get_bool(data, "login_successful") is True,
            connected_account_id=get_str(data, "connected_account_id"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectedAccount:
    """A provider account (e.g. Salto KS) connected to the workspace."""

    connected_account_id: str
    account_type: str | None
    user_identifier: str | None
    errors: tuple[SeamIssue, ...]
    warnings: tuple[SeamIssue, ...]

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Self:
        """Build from a Seam API object, tolerating unknown, missing or odd fields."""
        identifier = get_dict(data, "user_identifier")
        return cls(
            connected_account_id=_require_id(data, "connected_account_id", "connected account"),
            account_type=get_str(data, "account_type") or get_str(data, "provider"),
            user_identifier=get_str(identifier, "email") or get_str(identifier, "username"),
            errors=_parse_issues(data.get("errors")),
            warnings=_parse_issues(data.get("warnings")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """A workspace event (lock.locked, access_code.set, ...)."""

    event_id: str
    event_type: str
    device_id: str | None
    access_code_id: str | None
    connected_account_id: str | None
    # lock.unlocked / lock.locked: whether the access code is managed by Seam (spec).
    access_code_is_managed: bool | None
    method: str | None
    occurred_at: datetime | None
    created_at: datetime | None
    # access_code.set_on_device / scheduled_on_device / issued: the code's PIN (never in a repr).
    code: str | None = field(default=None, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Self:
        """Build from a Seam API object, tolerating unknown, missing or odd fields."""
        return cls(
            event_id=_require_id(data, "event_id", "event"),
            code=get_str(data, "code"),
            event_type=get_str(data, "event_type") or "",
            device_id=get_str(data, "device_id"),
            access_code_id=get_str(data, "access_code_id"),
            connected_account_id=get_str(data, "connected_account_id"),
            access_code_is_managed=get_bool(data, "access_code_is_managed"),
            method=get_str(data, "method"),
            occurred_at=get_datetime(data, "occurred_at"),
            created_at=get_datetime(data, "created_at"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Webhook:
    """A Seam webhook (the spec's ``webhook``: webhook_id, url, event_types, secret)."""

    webhook_id: str
    url: str
    event_types: tuple[str, ...]
    # Only webhooks/create is sure to return it; never shown in a repr.
    secret: str | None = field(repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Self:
        """Build from a Seam API object, tolerating unknown, missing or odd fields."""
        return cls(
            webhook_id=_require_id(data, "webhook_id", "webhook"),
            url=get_str(data, "url") or "",
            event_types=tuple(t for t in get_list(data, "event_types") if isinstance(t, str)),
            secret=get_str(data, "secret"),
        )
