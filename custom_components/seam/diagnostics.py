"""Diagnostics for the Seam integration: workspace, locks, accounts, access codes, polling state.

Redacted: the API key, access code PINs, access codes' names and the lock activity's access
code name (guests' names), Connect Webview URLs and tokens, and e-mail addresses (by key, and
any PIN, API key or e-mail address that shows up inside another text).
"""

from collections.abc import Iterable
from dataclasses import asdict
import re
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .const import CONF_WEBHOOK_SECRET, DOMAIN
from .coordinator import SeamConfigEntry, SeamCoordinator
from .seam_api import SeamError

# The Home Assistant webhook id is redacted too: whoever knows it can send to the webhook.
TO_REDACT = {
    CONF_API_KEY,
    CONF_WEBHOOK_ID,
    CONF_WEBHOOK_SECRET,
    "access_code_name",
    "auth_token",
    "email",
    "url",
    "user_identifier",
}
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"


def _scrub(value: Any, pattern: re.Pattern[str]) -> Any:
    """Replace every match of ``pattern`` in every text inside ``value``."""
    if isinstance(value, str):
        return pattern.sub(REDACTED, value)
    if isinstance(value, dict):
        return {key: _scrub(item, pattern) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item, pattern) for item in value]
    return value


def _redact(
    data: dict[str, Any], entry: SeamConfigEntry, pins: Iterable[str] = ()
) -> dict[str, Any]:
    """Redact the secret keys, then the API key, PINs and e-mail addresses left in texts."""
    secrets = [rf"(?<!\w){re.escape(secret)}(?!\w)" for secret in (entry.data[CONF_API_KEY], *pins)]
    redacted: dict[str, Any] = _scrub(
        async_redact_data(data, TO_REDACT), re.compile("|".join([*secrets, _EMAIL]))
    )
    return redacted


def _coordinator_state(coordinator: SeamCoordinator) -> dict[str, Any]:
    """How polling goes."""
    interval = coordinator.update_interval
    return {
        "last_update_success": coordinator.last_update_success,
        "update_interval": interval.total_seconds() if interval else None,
        "last_exception": (
            type(coordinator.last_exception).__name__ if coordinator.last_exception else None
        ),
        "lock_count": len(coordinator.data or {}),
        "push": {
            **coordinator.push.status.as_dict(),
            "healthy": coordinator.push_healthy,
            "lock_events_only_polled": coordinator.push_missed,
        },
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SeamConfigEntry
) -> dict[str, Any]:
    """Return the workspace, its locks and connected accounts, and the polling state."""
    coordinator = entry.runtime_data
    try:
        accounts: Any = [
            asdict(account)
            for account in sorted(
                await coordinator.client.list_connected_accounts(),
                key=lambda account: account.connected_account_id,
            )
        ]
    except SeamError as err:
        accounts = {"error": type(err).__name__}
    data = {
        "entry": {"title": entry.title, "data": dict(entry.data), "options": dict(entry.options)},
        "workspace": asdict(coordinator.workspace),
        "coordinator": _coordinator_state(coordinator),
        "connected_accounts": accounts,
        "locks": [
            asdict(lock)
            for lock in sorted(coordinator.data.values(), key=lambda lock: lock.device_id)
        ],
    }
    return _redact(data, entry)


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: SeamConfigEntry, device: dr.DeviceEntry
) -> dict[str, Any]:
    """Return a lock (with its access codes and latest activity), or the workspace."""
    coordinator = entry.runtime_data
    seam_ids = [identifier for domain, identifier in device.identifiers if domain == DOMAIN]
    data: dict[str, Any] = {"coordinator": _coordinator_state(coordinator)}
    pins: list[str] = []
    lock = next((coordinator.data[i] for i in seam_ids if i in coordinator.data), None)
    if coordinator.workspace.workspace_id in seam_ids:
        data["workspace"] = asdict(coordinator.workspace)
    elif lock is None:
        data["lock"] = None  # Seam no longer reports it
    else:
        activity = coordinator.activity.get(lock.device_id)
        data["lock"] = asdict(lock)
        data["activity"] = asdict(activity) if activity else None
        try:
            access_codes = await coordinator.client.list_access_codes(lock.device_id)
        except SeamError as err:
            data["access_codes"] = {"error": type(err).__name__}
        else:
            pins = [code.code for code in access_codes if code.code]
            data["access_codes"] = [
                {**asdict(code), "code": REDACTED if code.code else None, "name": REDACTED}
                for code in access_codes
            ]
    return _redact(data, entry, pins)
