"""Tests of the repair issues and the fix flow that re-links a disconnected account (sandbox)."""

from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from functools import partial
from http import HTTPStatus
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.lock import LockState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.seam.const import DOMAIN
from tests import async_poll, async_refresh, sign_in_on_webview
from tests.sandbox import Sandbox

FRONT_DOOR = "salto_lock_front_door"
BACK_OFFICE = "salto_lock_back_office"
AUGUST = "august_device_1"
FIX_URL = "/api/repairs/issues/fix"

ACCOUNT_DISCONNECTED = {
    "error_code": "account_disconnected",
    "message": "Account disconnected",
    "is_connected_account_error": True,
}
LIMIT_EXCEEDED = {
    "error_code": "salto_ks_subscription_limit_exceeded",
    "message": "Subscription limit exceeded",
    "is_connected_account_error": True,
}
INSUFFICIENT_PERMISSIONS = {
    "error_code": "insufficient_permissions",
    "message": "The Seam integration user lacks permissions",
    "is_connected_account_error": True,
}
REAUTHORIZATION_REQUESTED = {
    "warning_code": "account_reauthorization_requested",
    "message": "Reauthorize this account with a new Connect Webview",
}
LIMIT_ALMOST_REACHED = {
    "warning_code": "salto_ks_subscription_limit_almost_reached",
    "message": "Subscription limit almost reached",
}


@pytest.fixture(autouse=True)
async def repairs(hass: HomeAssistant) -> None:
    """Run Home Assistant's repairs integration (its HTTP API starts fix flows)."""
    assert await async_setup_component(hass, "repairs", {})


@pytest.fixture(autouse=True)
def fast_webview_polling() -> Iterator[None]:
    """Poll the Connect Webview every 10 ms (instead of 2 s)."""
    with patch("custom_components.seam.config_flow.WEBVIEW_POLL_INTERVAL", 0.01):
        yield


type Poll = Callable[[], Awaitable[None]]


@pytest.fixture
def account_id(sandbox_state: dict[str, Any]) -> str:
    """The connected account of the sandbox's Salto KS locks."""
    account: str = sandbox_state["salto_connected_account_id"]
    return account


@pytest.fixture
async def client(hass: HomeAssistant, hass_client: ClientSessionGenerator) -> TestClient[Any, Any]:
    """An HTTP client of Home Assistant's API, as an admin.

    Seam and the integrations it depends on (webhook, websocket_api) register their HTTP routes
    first, as when a real Home Assistant starts: the test server, unlike Home Assistant's,
    freezes them once it runs.
    """
    assert await async_setup_component(hass, DOMAIN, {})
    return await hass_client()


@pytest.fixture
def poll(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> Poll:
    """With the sandbox entry set up: let the poll interval pass, so that the next poll runs."""

    return partial(async_poll, hass, freezer)


@pytest.fixture
async def disconnected(
    hass: HomeAssistant, sandbox: Sandbox, account_id: str, mock_config_entry: MockConfigEntry
) -> str:
    """Set up the entry while Front Door reports its account disconnected; the issue's id."""
    await sandbox.update_device(FRONT_DOOR, errors=[ACCOUNT_DISCONNECTED])
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    issue_id = f"account_disconnected_{account_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None  # raised at setup
    return issue_id


async def _issue_texts(hass: HomeAssistant, issue: ir.IssueEntry) -> list[str]:
    """The issue's English title and description as users read them (placeholders filled in)."""
    translations = await async_get_translations(hass, "en", "issues", [DOMAIN])
    prefix = f"component.{DOMAIN}.issues.{issue.translation_key}."
    texts = [text for key, text in translations.items() if key.startswith(prefix)]
    assert texts
    return [text.format(**(issue.translation_placeholders or {})) for text in texts]


async def _post(
    client: TestClient[Any, Any], url: str, payload: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await client.post(url, json=payload)
    assert response.status == HTTPStatus.OK, await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def _relink(
    client: TestClient[Any, Any], hass: HomeAssistant, issue_id: str
) -> dict[str, Any]:
    """Run the fix flow: confirm, sign in on the sandbox's webview page; the final result."""
    result = await _post(client, FIX_URL, {"handler": DOMAIN, "issue_id": issue_id})
    flow_url = f"{FIX_URL}/{result['flow_id']}"
    result = await _post(client, flow_url)
    assert 'id="success"' in await sign_in_on_webview(result["url"])
    await hass.async_block_till_done(wait_background_tasks=True)
    result = await _post(client, flow_url)
    await hass.async_block_till_done(wait_background_tasks=True)
    return result


async def test_disconnected_account_raises_issue(
    hass: HomeAssistant, poll: Poll, sandbox: Sandbox, account_id: str
) -> None:
    """Locks erroring with account_disconnected raise a fixable issue naming the account's type."""
    for device_id in (FRONT_DOOR, BACK_OFFICE):
        await sandbox.update_device(device_id, errors=[ACCOUNT_DISCONNECTED])
    await sandbox.reset_requests()
    await poll()

    # Found in the poll's usual requests: no request was added for it.
    assert set(await sandbox.requests()) == {"/devices/list", "/events/list", "/access_codes/list"}
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"account_disconnected_{account_id}")
    assert issue is not None
    assert issue.is_fixable
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_key == "account_disconnected"
    assert issue.translation_placeholders == {
        "account": "Salto KS",
        "locks": "Back Office, Front Door",
    }
    texts = await _issue_texts(hass, issue)
    assert "Salto KS account of Back Office, Front Door is disconnected" in texts
    assert not any("@" in text for text in texts)  # not the account's e-mail address


async def test_disconnected_account_relinked(
    hass: HomeAssistant, client: TestClient[Any, Any], sandbox: Sandbox, disconnected: str
) -> None:
    """The fix flow opens a Connect Webview; once signed in, the issue is gone for good."""
    issue_registry = ir.async_get(hass)
    issue = issue_registry.async_get_issue(DOMAIN, disconnected)
    assert issue is not None
    result = await _post(client, FIX_URL, {"handler": DOMAIN, "issue_id": disconnected})
    assert result["type"] == "form"
    assert result["step_id"] == "confirm"
    assert result["description_placeholders"] == issue.translation_placeholders
    flow_url = f"{FIX_URL}/{result['flow_id']}"

    result = await _post(client, flow_url)
    assert result["type"] == "external"
    assert result["step_id"] == "link_account"
    assert result["url"].startswith(f"{sandbox.url}/")

    # Seam reconnects the account its owner signs in to again. The sandbox's webview links a
    # new account instead, so clear the error the way Seam would.
    await sandbox.update_device(FRONT_DOOR, errors=[])
    await sandbox.reset_requests()
    assert 'id="success"' in await sign_in_on_webview(result["url"])
    await hass.async_block_till_done(wait_background_tasks=True)

    result = await _post(client, flow_url)
    assert result["type"] == "create_entry"
    await hass.async_block_till_done(wait_background_tasks=True)
    # The flow saw the new account's locks (synced by Seam before the webview completed), and
    # Seam was polled again at once: the issue is gone, the account's lock works again, and
    # the locks of the account just linked are added.
    assert (await sandbox.requests())["/devices/list"] == 2
    assert issue_registry.async_get_issue(DOMAIN, disconnected) is None
    assert hass.states.get("lock.front_door").state == LockState.LOCKED
    assert er.async_get(hass).async_get_entity_id("lock", DOMAIN, "salto_lock_webview_1_1-lock")


async def test_relinked_account_still_disconnected(
    hass: HomeAssistant, client: TestClient[Any, Any], disconnected: str
) -> None:
    """If Seam still reports the account disconnected after the sign-in, the issue comes back."""
    result = await _relink(client, hass, disconnected)
    assert result["type"] == "create_entry"

    issue = ir.async_get(hass).async_get_issue(DOMAIN, disconnected)
    assert issue is not None
    assert issue.translation_placeholders == {"account": "Salto KS", "locks": "Front Door"}


async def test_fix_flow_cannot_create_webview(
    hass: HomeAssistant, client: TestClient[Any, Any], sandbox: Sandbox, disconnected: str
) -> None:
    """If Seam cannot create the webview, the fix flow aborts and the issue stays."""
    await sandbox.fault("/connect_webviews/create", "outage")

    result = await _post(client, FIX_URL, {"handler": DOMAIN, "issue_id": disconnected})
    result = await _post(client, f"{FIX_URL}/{result['flow_id']}")
    assert result["type"] == "abort"
    assert result["reason"] == "cannot_connect"
    assert ir.async_get(hass).async_get_issue(DOMAIN, disconnected) is not None


async def test_fix_flow_entry_not_loaded(
    hass: HomeAssistant,
    client: TestClient[Any, Any],
    mock_config_entry: MockConfigEntry,
    disconnected: str,
) -> None:
    """Unloading keeps the issues; fixing one needs the entry loaded."""
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)

    assert ir.async_get(hass).async_get_issue(DOMAIN, disconnected) is not None
    result = await _post(client, FIX_URL, {"handler": DOMAIN, "issue_id": disconnected})
    assert result["type"] == "abort"
    assert result["reason"] == "not_loaded"


async def test_issue_ignored_across_reload_and_deleted_with_entry(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, disconnected: str
) -> None:
    """An ignored issue stays ignored when the entry reloads; removing the entry deletes it."""
    issue_registry = ir.async_get(hass)
    ir.async_ignore_issue(hass, DOMAIN, disconnected, True)

    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    issue = issue_registry.async_get_issue(DOMAIN, disconnected)
    assert issue is not None
    assert issue.dismissed_version is not None

    assert await hass.config_entries.async_remove(mock_config_entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, disconnected) is None


async def test_other_provider_account_disconnected(
    hass: HomeAssistant, poll: Poll, sandbox: Sandbox, init_integration: MockConfigEntry
) -> None:
    """A disconnected account of another provider: an issue that says to reconnect it at Seam."""
    issue_registry = ir.async_get(hass)
    await sandbox.update_device(AUGUST, errors=[ACCOUNT_DISCONNECTED])
    await poll()

    issue = issue_registry.async_get_issue(DOMAIN, "account_disconnected_john_connected_account_id")
    assert issue is not None
    assert not issue.is_fixable
    assert issue.translation_key == "account_disconnected_other"
    assert issue.translation_placeholders is not None
    # Named by its locks' manufacturer, as on their device page (the fake calls it "Generic").
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, AUGUST), init_integration.entry_id
    )
    assert device is not None
    assert issue.translation_placeholders["account"] == device.manufacturer
    assert any("Seam Console" in text for text in await _issue_texts(hass, issue))

    await sandbox.update_device(AUGUST, errors=[])
    await poll()
    assert issue_registry.async_get_issue(DOMAIN, issue.issue_id) is None


async def test_subscription_limit_issues(
    hass: HomeAssistant,
    poll: Poll,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    account_id: str,
) -> None:
    """Salto KS subscription limits: a warning, then an error, both informational; then gone."""
    issue_registry = ir.async_get(hass)
    almost_id = f"salto_ks_subscription_limit_almost_reached_{account_id}"
    exceeded_id = f"salto_ks_subscription_limit_exceeded_{account_id}"
    for device_id in sandbox_state["salto_device_ids"]:
        await sandbox.update_device(device_id, warnings=[LIMIT_ALMOST_REACHED])
    await sandbox.add_devices(1, name="Zoo Gate", warnings=[LIMIT_ALMOST_REACHED])
    await poll()

    almost = issue_registry.async_get_issue(DOMAIN, almost_id)
    assert almost is not None
    assert not almost.is_fixable
    assert almost.severity is ir.IssueSeverity.WARNING
    # Six locks: the first five are named.
    assert almost.translation_placeholders == {
        "account": "Salto KS",
        "locks": "Back Office, Front Door, Meeting Room, Server Room, Storage Room, …",
    }
    texts = await _issue_texts(hass, almost)
    assert any("remove users you no longer need" in text.lower() for text in texts)

    await sandbox.update_device(FRONT_DOOR, errors=[LIMIT_EXCEEDED])
    await poll()
    exceeded = issue_registry.async_get_issue(DOMAIN, exceeded_id)
    assert exceeded is not None
    assert not exceeded.is_fixable
    assert exceeded.severity is ir.IssueSeverity.ERROR
    assert exceeded.translation_placeholders == {"account": "Salto KS", "locks": "Front Door"}
    assert any("upgrade" in text for text in await _issue_texts(hass, exceeded))
    # The limit is reached: the "almost reached" warning is gone.
    assert issue_registry.async_get_issue(DOMAIN, almost_id) is None

    await sandbox.reset()
    await poll()
    assert issue_registry.async_get_issue(DOMAIN, exceeded_id) is None
    assert issue_registry.async_get_issue(DOMAIN, almost_id) is None


async def _poll_an_hour_later(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """A poll once the connected accounts are due to be read again (hourly; an hour after
    setup the first time)."""
    with patch("custom_components.seam.issues.ACCOUNTS_READ_INTERVAL", timedelta(0)):
        await async_refresh(hass, entry)
        await hass.async_block_till_done(wait_background_tasks=True)


async def test_reauthorization_requested_offers_the_relink(
    hass: HomeAssistant,
    client: TestClient[Any, Any],
    sandbox: Sandbox,
    account_id: str,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Seam's account warning account_reauthorization_requested (on the connected account, not
    its locks): a fixable warning that re-links the account before Seam disconnects it."""
    await sandbox.update_connected_account(account_id, warnings=[REAUTHORIZATION_REQUESTED])
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await sandbox.reset_requests()
    await _poll_an_hour_later(hass, mock_config_entry)
    assert (await sandbox.requests())["/connected_accounts/list"] == 1

    issue_id = f"account_reauthorization_requested_{account_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["account"] == "Salto KS"
    assert "Front Door" in issue.translation_placeholders["locks"]
    texts = await _issue_texts(hass, issue)
    assert any("disconnects it" in text for text in texts)
    # The lock still works meanwhile.
    assert hass.states.get("lock.front_door").state == LockState.LOCKED

    # The accounts are read at most once an hour: the next poll adds no request for them.
    await sandbox.reset_requests()
    await async_refresh(hass, mock_config_entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "/connected_accounts/list" not in await sandbox.requests()

    # Relinked: Seam clears the warning (the sandbox's webview links a new account instead, so
    # clear it the way Seam would); the next read of the accounts deletes the issue.
    result = await _post(client, FIX_URL, {"handler": DOMAIN, "issue_id": issue_id})
    assert result["step_id"] == "confirm"
    flow_url = f"{FIX_URL}/{result['flow_id']}"
    result = await _post(client, flow_url)
    assert result["type"] == "external"
    await sandbox.update_connected_account(account_id, warnings=[])
    assert 'id="success"' in await sign_in_on_webview(result["url"])
    await hass.async_block_till_done(wait_background_tasks=True)
    assert (await _post(client, flow_url))["type"] == "create_entry"
    await hass.async_block_till_done(wait_background_tasks=True)
    await _poll_an_hour_later(hass, mock_config_entry)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_reauthorization_not_raised_while_disconnected(
    hass: HomeAssistant,
    sandbox: Sandbox,
    account_id: str,
    disconnected: str,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A disconnected account's issue says it all: no reauthorization warning besides."""
    await sandbox.update_connected_account(account_id, warnings=[REAUTHORIZATION_REQUESTED])
    await sandbox.reset_requests()
    await _poll_an_hour_later(hass, mock_config_entry)
    assert (await sandbox.requests())["/connected_accounts/list"] == 1
    assert ir.async_get(hass).async_get_issue(DOMAIN, disconnected) is not None
    issues = {issue_id for (_, issue_id) in ir.async_get(hass).issues}
    assert f"account_reauthorization_requested_{account_id}" not in issues


async def test_insufficient_permissions_issue(
    hass: HomeAssistant, poll: Poll, sandbox: Sandbox, account_id: str
) -> None:
    """Seam's account error insufficient_permissions (spec 1.1038.0) on a Salto KS lock: a
    fixable issue (link the account again) that names what Salto KS needs."""
    await sandbox.update_device(FRONT_DOOR, errors=[INSUFFICIENT_PERMISSIONS])
    await poll()

    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"insufficient_permissions_{account_id}")
    assert issue is not None
    assert issue.is_fixable
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders == {"account": "Salto KS", "locks": "Front Door"}
    assert any("Site Admin" in text for text in await _issue_texts(hass, issue))

    await sandbox.update_device(FRONT_DOOR, errors=[])
    await poll()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue.issue_id) is None


async def test_account_warnings_read_at_setup_and_again_after_a_failure(
    hass: HomeAssistant, sandbox: Sandbox, account_id: str, mock_config_entry: MockConfigEntry
) -> None:
    """The accounts are read at setup (the first poll raises what they report); a failed read
    does not fail the setup and is tried again with the next poll."""
    await sandbox.update_connected_account(account_id, warnings=[REAUTHORIZATION_REQUESTED])
    issue_id = f"account_reauthorization_requested_{account_id}"
    await sandbox.fault("/connected_accounts/list", "outage", count=1)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert (await sandbox.requests())["/connected_accounts/list"] == 1
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None

    await async_refresh(hass, mock_config_entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    assert (await sandbox.requests())["/connected_accounts/list"] == 2

    # A setup that reads them at once raises the issue with its first poll, without waiting.
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    assert (await sandbox.requests())["/connected_accounts/list"] == 3

    # Each setup starts afresh: warnings read by an earlier setup are not reported again when
    # this setup cannot read the accounts (Seam cleared the warning meanwhile).
    await sandbox.update_connected_account(account_id, warnings=[])
    await sandbox.fault("/connected_accounts/list", "outage", count=1)
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_reauthorization_event_found_by_a_poll_reads_the_accounts(
    hass: HomeAssistant, poll: Poll, sandbox: Sandbox, account_id: str
) -> None:
    """Without push, the poll that finds connected_account.reauthorization_requested in Seam's
    events reads the accounts at once (not an hour later) and raises the repair."""
    issue_id = f"account_reauthorization_requested_{account_id}"
    await sandbox.reset_requests()
    await poll()
    assert "/connected_accounts/list" not in await sandbox.requests()  # read at setup already

    await sandbox.update_connected_account(account_id, warnings=[REAUTHORIZATION_REQUESTED])
    await poll()
    assert (await sandbox.requests())["/connected_accounts/list"] == 1
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
