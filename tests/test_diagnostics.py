"""Tests of the config entry and device diagnostics (against the sandbox)."""

import json
from urllib.parse import parse_qs, urlsplit

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.seam.const import DOMAIN
from tests import async_poll, async_refresh, sign_in_on_webview
from tests.sandbox import Sandbox

FRONT_DOOR = "salto_lock_front_door"
REDACTED = "**REDACTED**"


def _device(hass: HomeAssistant, entry: MockConfigEntry, seam_id: str) -> dr.DeviceEntry:
    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, seam_id), entry.entry_id)
    assert device is not None
    return device


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
    sandbox: Sandbox,
    init_integration: MockConfigEntry,
) -> None:
    """The entry's and a lock's diagnostics: workspace, locks, accounts, codes, polling state."""
    entry_diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    # The sandbox's port and the seeded errors' times change from run to run.
    assert entry_diagnostics == snapshot(
        name="config_entry", exclude=props("api_url", "created_at")
    )
    assert entry_diagnostics["entry"]["data"]["api_url"] == sandbox.url

    lock = _device(hass, init_integration, FRONT_DOOR)
    assert await get_diagnostics_for_device(hass, hass_client, init_integration, lock) == snapshot(
        name="lock"
    )
    workspace = _device(hass, init_integration, init_integration.unique_id or "")
    assert await get_diagnostics_for_device(
        hass, hass_client, init_integration, workspace
    ) == snapshot(name="workspace")


async def test_no_secret_in_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sandbox: Sandbox,
    init_integration: MockConfigEntry,
) -> None:
    """No API key, PIN, webview URL or token, e-mail address or guest's name appears anywhere."""
    await sandbox.set_config(salto_code_delay_s=0)
    guest = "Jane Guestname"
    response = await hass.services.async_call(
        DOMAIN,
        "create_access_code",
        {"entity_id": "lock.front_door", "name": guest},
        blocking=True,
        return_response=True,
    )
    pin = response["lock.front_door"]["code"]
    assert isinstance(pin, str)
    assert pin.isdigit()
    # The guest opens the door with the code: the lock's latest activity names the code.
    await sandbox.add_event(
        FRONT_DOOR,
        "lock.unlocked",
        method="keycode",
        access_code_id=response["lock.front_door"]["access_code_id"],
    )
    await async_refresh(hass, init_integration)
    assert init_integration.runtime_data.activity[FRONT_DOOR].access_code_name == guest
    # An e-mail address in an error message from Seam.
    await sandbox.update_device(
        FRONT_DOOR,
        errors=[
            {
                "error_code": "account_disconnected",
                "message": "Salto KS account facilities@example.com is disconnected",
                "is_connected_account_error": True,
            }
        ],
    )
    # Link another account (jane@example.com) through a Connect Webview; the entry reloads.
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    webview_url = result["url"]
    auth_token = parse_qs(urlsplit(webview_url).query)["auth_token"][0]
    assert 'id="success"' in await sign_in_on_webview(webview_url)
    await hass.async_block_till_done(wait_background_tasks=True)
    result = await hass.config_entries.options.async_configure(result["flow_id"])
    await hass.async_block_till_done(wait_background_tasks=True)

    entry_diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    lock_diagnostics = await get_diagnostics_for_device(
        hass, hass_client, init_integration, _device(hass, init_integration, FRONT_DOOR)
    )

    # What the secrets were in is there, redacted.
    assert entry_diagnostics["entry"]["data"]["api_key"] == REDACTED
    accounts = entry_diagnostics["connected_accounts"]
    assert isinstance(accounts, list)
    assert {account["user_identifier"] for account in accounts} == {REDACTED}
    assert len(accounts) >= 2  # the seeded Salto KS account and the one just linked
    codes = lock_diagnostics["access_codes"]
    assert isinstance(codes, list)
    assert [code["code"] for code in codes] == [REDACTED]
    assert [code["name"] for code in codes] == [REDACTED]
    assert lock_diagnostics["activity"]["access_code_name"] == REDACTED
    error = lock_diagnostics["lock"]["errors"][0]
    assert error["message"] == f"Salto KS account {REDACTED} is disconnected"
    # The secrets themselves are nowhere.
    dumped = json.dumps([entry_diagnostics, lock_diagnostics])
    for secret in (
        sandbox.api_key,
        pin,
        webview_url,
        auth_token,
        "facilities@example.com",
        "jane@example.com",
        guest,
    ):
        assert secret not in dumped


async def test_diagnostics_while_seam_fails(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    sandbox: Sandbox,
    init_integration: MockConfigEntry,
) -> None:
    """Diagnostics still answer when Seam fails, and show how polling fails."""
    for route in ("/devices/list", "/connected_accounts/list", "/access_codes/list"):
        await sandbox.fault(route, "outage")
    await async_poll(hass, freezer)

    entry_diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    assert entry_diagnostics["coordinator"] == {
        "last_update_success": False,
        "update_interval": 30.0,
        "last_exception": "UpdateFailed",
        "lock_count": 8,
        "push": {
            "active": False,
            "reason": "no_url",
            "url_kind": None,
            "accepted": 0,
            "rejected": {},
            "last_delivery": None,
            "healthy": False,
            "lock_events_only_polled": 0,
        },
    }
    assert entry_diagnostics["connected_accounts"] == {"error": "SeamConnectionError"}
    lock = _device(hass, init_integration, FRONT_DOOR)
    lock_diagnostics = await get_diagnostics_for_device(hass, hass_client, init_integration, lock)
    assert lock_diagnostics["access_codes"] == {"error": "SeamConnectionError"}


async def test_diagnostics_of_unknown_device(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, init_integration: MockConfigEntry
) -> None:
    """A device of the entry that Seam does not report (any more) has no lock data."""
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=init_integration.entry_id, identifiers={(DOMAIN, "salto_lock_gone")}
    )
    diagnostics = await get_diagnostics_for_device(hass, hass_client, init_integration, device)
    assert diagnostics["lock"] is None
