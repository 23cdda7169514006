"""Repair issues for Seam accounts, raised from the locks every poll reads anyway.

The issues come from the device list that every poll reads anyway (no extra request): Seam
copies a connected account's errors onto each of its devices. Per connected account:

- ``account_disconnected`` (error ``account_disconnected``): fixable for Salto KS accounts, by
  signing in again in a new Connect Webview (the fix flow is in repairs.py); for other
  providers, it says to reconnect the account in the Seam Console.
- ``insufficient_permissions`` (error; spec 1.1038.0: Seam's integration user lacks
  permissions in the provider's system, so Seam "cannot manage access codes or unlock the
  device"): fixable for Salto KS accounts by linking the account again, as the spec advises;
  otherwise it says to grant the permissions or reauthorize in the Seam Console.
- ``salto_ks_subscription_limit_exceeded`` (error) and
  ``salto_ks_subscription_limit_almost_reached`` (warning): informational, with what to do.

One warning lives on the connected account only, not on its devices, so the connected accounts
are read too (one request): at setup, with the poll after every ``connected_account.*`` event
(pushed, or found by a poll's events read), and, while push does not work, once an hour.
While push works the hourly read is not needed (a missed event is found by the next poll), so
idle polling stays within its request budget:

- ``account_reauthorization_requested`` (spec: "requires reauthorization using a new Connect
  Webview ... Delaying reauthorization too long will eventually cause the Connected Account to
  become disconnected"): a warning, fixable for Salto KS accounts with the same re-link flow,
  so it can be done before the account disconnects. Not raised while the account is
  disconnected (that issue says it all).

An issue goes away by itself on the first poll (for the account warning: the first read of the
accounts) in which Seam no longer reports it. The issue texts name the account's type and its
locks, never the account's e-mail address.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .seam_api import Device, SeamClient, SeamError

ISSUE_ACCOUNT_DISCONNECTED = "account_disconnected"
ISSUE_SUBSCRIPTION_LIMIT_EXCEEDED = "salto_ks_subscription_limit_exceeded"
ISSUE_SUBSCRIPTION_LIMIT_ALMOST_REACHED = "salto_ks_subscription_limit_almost_reached"
ISSUE_INSUFFICIENT_PERMISSIONS = "insufficient_permissions"
ISSUE_REAUTHORIZATION_REQUESTED = "account_reauthorization_requested"

# Seam error or warning code on a lock -> the issue it raises for the lock's connected account.
_ISSUE_CODES = {
    "account_disconnected": ISSUE_ACCOUNT_DISCONNECTED,
    "insufficient_permissions": ISSUE_INSUFFICIENT_PERMISSIONS,
    "salto_ks_subscription_limit_exceeded": ISSUE_SUBSCRIPTION_LIMIT_EXCEEDED,
    "salto_ks_subscription_limit_almost_reached": ISSUE_SUBSCRIPTION_LIMIT_ALMOST_REACHED,
}
# Issues a Salto KS account's re-link (repairs.py) fixes -> the translation that says what to
# do instead for an account of another provider.
_OTHER_PROVIDER_TRANSLATION_KEYS = {
    ISSUE_ACCOUNT_DISCONNECTED: "account_disconnected_other",
    ISSUE_INSUFFICIENT_PERMISSIONS: "insufficient_permissions_other",
    ISSUE_REAUTHORIZATION_REQUESTED: "account_reauthorization_requested_other",
}
_WARNINGS = frozenset({ISSUE_SUBSCRIPTION_LIMIT_ALMOST_REACHED, ISSUE_REAUTHORIZATION_REQUESTED})
# The connected accounts are read at most this often (their warnings are not urgent).
ACCOUNTS_READ_INTERVAL = timedelta(hours=1)


@dataclass
class _Accounts:
    """The connected accounts' warnings as last read, per config entry."""

    read_at: datetime | None = None
    reading: bool = False
    # Read at the next poll (after a failed read, after a connected_account.* event).
    due: bool = False
    # Connected account id -> its warning codes.
    warnings: dict[str, frozenset[str]] = field(default_factory=dict)


# Per loaded config entry (made at setup, dropped at unload: async_setup_account_warnings).
_ACCOUNTS: dict[str, _Accounts] = {}


def _accounts(entry: ConfigEntry) -> _Accounts:
    """Return the entry's account warnings state."""
    return _ACCOUNTS.setdefault(entry.entry_id, _Accounts())


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
    """Raise the issues the locks report, delete the entry's issues no lock reports now.

    Read the connected accounts' warnings too when due.
    """
    accounts = _accounts(entry)
    _async_raise_issues(hass, entry, locks, accounts)
    _async_read_accounts_when_due(hass, entry, accounts)


@callback
def _async_raise_issues(
    hass: HomeAssistant, entry: ConfigEntry, locks: Iterable[Device], accounts: _Accounts
) -> None:
    """Raise the issues the locks (and their accounts) report; delete the entry's others."""
    # (issue, connected account id) -> the account's locks that report it, by device id.
    locks = list(locks)
    reported: dict[tuple[str, str], dict[str, Device]] = {}
    for lock in locks:
        for problem in (*lock.errors, *lock.warnings):
            if (issue := _ISSUE_CODES.get(problem.code)) is not None:
                reported.setdefault((issue, lock.connected_account_id), {})[lock.device_id] = lock
    for lock in locks:
        if ISSUE_REAUTHORIZATION_REQUESTED in accounts.warnings.get(lock.connected_account_id, ()):
            key = (ISSUE_REAUTHORIZATION_REQUESTED, lock.connected_account_id)
            reported.setdefault(key, {})[lock.device_id] = lock
    wanted: set[str] = set()
    for (issue, account_id), account_locks in reported.items():
        if issue == ISSUE_SUBSCRIPTION_LIMIT_ALMOST_REACHED and (
            (ISSUE_SUBSCRIPTION_LIMIT_EXCEEDED, account_id) in reported
        ):
            continue  # the limit is reached already: that issue says it all
        if issue == ISSUE_REAUTHORIZATION_REQUESTED and (
            (ISSUE_ACCOUNT_DISCONNECTED, account_id) in reported
        ):
            continue  # disconnected already: that issue says it all
        first = next(iter(account_locks.values()))
        fixable = issue in _OTHER_PROVIDER_TRANSLATION_KEYS and first.is_salto
        translation_key = issue
        if issue in _OTHER_PROVIDER_TRANSLATION_KEYS and not fixable:
            translation_key = _OTHER_PROVIDER_TRANSLATION_KEYS[issue]
        issue_id = f"{issue}_{account_id}"
        wanted.add(issue_id)
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=fixable,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING if issue in _WARNINGS else ir.IssueSeverity.ERROR,
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


@callback
def _async_read_accounts_when_due(
    hass: HomeAssistant, entry: ConfigEntry, accounts: _Accounts
) -> None:
    """Read the connected accounts' warnings in the background when due."""
    if accounts.reading or entry.state is not ConfigEntryState.LOADED:
        return  # the first poll of a setup: setup itself read them
    coordinator = entry.runtime_data
    hourly = (
        not coordinator.push_healthy
        and accounts.read_at is not None
        and dt_util.utcnow() - accounts.read_at >= ACCOUNTS_READ_INTERVAL
    )
    if not (accounts.due or hourly):
        return
    accounts.reading = True

    async def read() -> None:
        try:
            changed = await _async_read_account_warnings(entry, coordinator.client)
        finally:
            accounts.reading = False
        if changed:
            _async_raise_issues(hass, entry, coordinator.data.values(), accounts)

    entry.async_create_background_task(hass, read(), f"{DOMAIN} read connected accounts")


async def async_setup_account_warnings(entry: ConfigEntry, client: SeamClient) -> None:
    """Start the entry's account warnings afresh and read them (its first poll raises them).

    Their state is dropped when the entry unloads.
    """
    _ACCOUNTS[entry.entry_id] = _Accounts()

    @callback
    def forget() -> None:
        _ACCOUNTS.pop(entry.entry_id, None)

    entry.async_on_unload(forget)
    await _async_read_account_warnings(entry, client)


async def _async_read_account_warnings(entry: ConfigEntry, client: SeamClient) -> bool:
    """Read the connected accounts' warnings; return whether they changed.

    A failed read is not an error of the entry: it is tried again with the next poll.
    """
    accounts = _accounts(entry)
    started = dt_util.utcnow()
    try:
        connected = await client.list_connected_accounts()
    except SeamError:
        accounts.due = True
        return False
    accounts.read_at, accounts.due = started, False
    warnings = {
        account.connected_account_id: frozenset(w.code for w in account.warnings)
        for account in connected
    }
    changed = warnings != accounts.warnings
    accounts.warnings = warnings
    return changed


@callback
def async_accounts_changed(entry: ConfigEntry) -> None:
    """Read the accounts' warnings with the next poll: a connected_account.* event came."""
    _accounts(entry).due = True


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
