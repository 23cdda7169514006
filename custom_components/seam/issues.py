"""Repair issues for Seam accounts, raised from the locks every poll reads anyway.

The issues come from the device list that every poll reads anyway (no extra request): Seam
copies a connected account's errors onto each of its devices. Per connected account:

- ``account_disconnected`` (error ``account_disconnected``): fixable for Salto KS accounts, by
  signing in again in a new Connect Webview (the fix flow is in repairs.py); for other
  providers, it says to reconnect the account in the Seam Console.
- ``salto_ks_subscription_limit_exceeded`` (error) and
  ``salto_ks_subscription_limit_almost_reached`` (warning): informational, with what to do.

An issue goes away by itself on the first poll in which no lock of the account reports it. The
issue texts name the account's type and its locks, never the account's e-mail address.
"""

from collections.abc import Iterable

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .seam_api import Device

ISSUE_ACCOUNT_DISCONNECTED = "account_disconnected"
ISSUE_ACCOUNT_DISCONNECTED_OTHER = "account_disconnected_other"
ISSUE_SUBSCRIPTION_LIMIT_EXCEEDED = "salto_ks_subscription_limit_exceeded"
ISSUE_SUBSCRIPTION_LIMIT_ALMOST_REACHED = "salto_ks_subscription_limit_almost_reached"

# Seam error or warning code on a lock -> the issue it raises for the lock's connected account.
_ISSUE_CODES = {
    "account_disconnected": ISSUE_ACCOUNT_DISCONNECTED,
    "salto_ks_subscription_limit_exceeded": ISSUE_SUBSCRIPTION_LIMIT_EXCEEDED,
    "salto_ks_subscription_limit_almost_reached": ISSUE_SUBSCRIPTION_LIMIT_ALMOST_REACHED,
}

# An issue names this many of the account's locks at most.
MAX_LOCK_NAMES = 5

DATA_ENTRY_ID = "entry_id"
DATA_CONNECTED_ACCOUNT_ID = "connected_account_id"


def _lock_names(locks: Iterable[Device]) -> str:
    """Name the locks: all of a few, the first ones and an ellipsis of many."""
    names = sorted(lock.display_name for lock in locks)
    if len(names) > MAX_LOCK_NAMES:
        names[MAX_LOCK_NAMES:] = ["…"]
    return ", ".join(names)


def _account_type(lock: Device) -> str:
    """Name the type of a lock's connected account (no personal data)."""
    if lock.is_salto:
        return "Salto KS"
    return lock.manufacturer or lock.device_type


@callback
def async_update_issues(hass: HomeAssistant, entry: ConfigEntry, locks: Iterable[Device]) -> None:
    """Raise the issues the locks report, and delete the entry's issues no lock reports now."""
    # (issue, connected account id) -> the account's locks that report it, by device id.
    reported: dict[tuple[str, str], dict[str, Device]] = {}
    for lock in locks:
        for problem in (*lock.errors, *lock.warnings):
            if (issue := _ISSUE_CODES.get(problem.code)) is not None:
                reported.setdefault((issue, lock.connected_account_id), {})[lock.device_id] = lock
    wanted: set[str] = set()
    for (issue, account_id), account_locks in reported.items():
        if issue == ISSUE_SUBSCRIPTION_LIMIT_ALMOST_REACHED and (
            (ISSUE_SUBSCRIPTION_LIMIT_EXCEEDED, account_id) in reported
        ):
            continue  # the limit is reached already: that issue says it all
        first = next(iter(account_locks.values()))
        fixable = issue == ISSUE_ACCOUNT_DISCONNECTED and first.is_salto
        translation_key = issue
        if issue == ISSUE_ACCOUNT_DISCONNECTED and not fixable:
            translation_key = ISSUE_ACCOUNT_DISCONNECTED_OTHER
        issue_id = f"{issue}_{account_id}"
        wanted.add(issue_id)
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=fixable,
            is_persistent=False,
            severity=(
                ir.IssueSeverity.WARNING
                if issue == ISSUE_SUBSCRIPTION_LIMIT_ALMOST_REACHED
                else ir.IssueSeverity.ERROR
            ),
            translation_key=translation_key,
            translation_placeholders={
                "account": _account_type(first),
                "locks": _lock_names(account_locks.values()),
            },
            data={DATA_ENTRY_ID: entry.entry_id, DATA_CONNECTED_ACCOUNT_ID: account_id},
        )
    for (domain, issue_id), entry_issue in list(ir.async_get(hass).issues.items()):
        if (
            domain == DOMAIN
            and issue_id not in wanted
            and entry_issue.data is not None
            and entry_issue.data.get(DATA_ENTRY_ID) == entry.entry_id
        ):
            ir.async_delete_issue(hass, DOMAIN, issue_id)


ISSUE_PUSH_UNAVAILABLE = "push_unavailable"
# Why push is off -> the issue's translation key.
_PUSH_ISSUE_TRANSLATION_KEYS = {
    "no_url": "push_unavailable_no_url",
    "seam_error": "push_unavailable_seam_error",
    "not_delivered": "push_unavailable_not_delivered",
}


@callback
def async_update_push_issue(hass: HomeAssistant, entry: ConfigEntry, reason: str | None) -> None:
    """Say why Seam cannot push to this entry (a warning: polling still works), or clear it.

    The issue has no ``data``, so ``async_update_issues`` (which owns the account issues) leaves
    it alone; it is deleted when push works again or the entry is removed.
    """
    issue_id = f"{ISSUE_PUSH_UNAVAILABLE}_{entry.entry_id}"
    if reason is None:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        is_persistent=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=_PUSH_ISSUE_TRANSLATION_KEYS[reason],
        translation_placeholders={"title": entry.title},
    )
