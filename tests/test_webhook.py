"""Tests of push updates: Seam webhooks delivered by the sandbox to Home Assistant's webhook.

Home Assistant's HTTP app listens on a loopback port (``hass_client_no_auth``) and its internal URL
points there, so the sandbox (a Seam test server on loopback) delivers real, Svix-signed POSTs.
"""

import asyncio
from collections.abc import Callable
from datetime import timedelta
import logging
import time
from typing import Any
from unittest.mock import AsyncMock, patch

import aiohttp
from homeassistant.components import webhook
from homeassistant.components.event import ATTR_EVENT_TYPE
from homeassistant.components.lock import LockState
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_WEBHOOK_ID, EVENT_STATE_CHANGED
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from homeassistant.util.aiohttp import MockRequest
import orjson
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.seam.const import (
    CONF_SEAM_WEBHOOK_ID,
    CONF_WEBHOOK_SECRET,
    DOMAIN,
    WEBHOOK_EVENT_TYPES,
)
from custom_components.seam.coordinator import POLL_INTERVAL, PUSH_POLL_INTERVAL, SeamCoordinator
from custom_components.seam.seam_api import SeamClient, Webhook
from custom_components.seam.seam_api.webhooks import MAX_BODY_BYTES, decode_secret, sign
from custom_components.seam.webhook import async_webhook_base_url
from tests import setup_integration
from tests.sandbox import Sandbox

FRONT_DOOR = "lock.front_door"
FRONT_DOOR_ACTIVITY = "event.front_door_activity"
WAIT_S = 5.0


async def _real_sleep(seconds: float) -> None:
    """Sleep in real time, also while a test freezes Home Assistant's clock (and the loop's)."""
    await asyncio.get_running_loop().run_in_executor(None, time.sleep, seconds)


async def _wait_for(predicate: Callable[[], bool]) -> None:
    """Wait (real time: deliveries are real HTTP) until ``predicate()`` holds."""
    for _ in range(int(WAIT_S / 0.01)):
        if predicate():
            return
        await _real_sleep(0.01)
    raise AssertionError("timed out")


def _state(hass: HomeAssistant, entity_id: str = FRONT_DOOR) -> str:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


def _push_issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """The entry's repair issue about push, if there is one."""
    return ir.async_get(hass).async_get_issue(DOMAIN, f"push_unavailable_{entry.entry_id}")


def _seam_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The integration's modules' log lines at WARNING or above (not Home Assistant's)."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.seam.") and record.levelno >= logging.WARNING
    ]


@pytest.fixture
async def push_entry(
    hass: HomeAssistant, ha_url: str, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The sandbox entry, set up with push."""
    await setup_integration(hass, mock_config_entry)
    assert mock_config_entry.runtime_data.push.status.active
    return mock_config_entry


def _hook_url(ha_url: str, entry: MockConfigEntry) -> str:
    return f"{ha_url}/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"


async def _post(url: str, body: Any, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as r,
    ):
        return r.status


def _signed(
    entry: MockConfigEntry,
    event: dict[str, Any],
    *,
    msg_id: str = "msg_test",
    at: int | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A delivery signed with the entry's secret, as Seam would sign it."""
    body = orjson.dumps(event)
    timestamp = int(time.time()) if at is None else at
    signature = sign(decode_secret(entry.data[CONF_WEBHOOK_SECRET]), msg_id, timestamp, body)
    return body, {
        "svix-id": msg_id,
        "svix-timestamp": str(timestamp),
        "svix-signature": signature,
        "content-type": "application/json",
    }


# ------------------------------------------------------------------------------ setup, removal


async def test_setup_creates_one_seam_webhook(
    hass: HomeAssistant, sandbox: Sandbox, ha_url: str, push_entry: MockConfigEntry
) -> None:
    """Seam gets one webhook for the entry's Home Assistant webhook; polling slows to 10 min."""
    webhooks = await sandbox.webhooks()
    assert [(w["url"], w["event_types"]) for w in webhooks] == [
        (_hook_url(ha_url, push_entry), list(WEBHOOK_EVENT_TYPES))
    ]
    assert push_entry.data[CONF_SEAM_WEBHOOK_ID] == webhooks[0]["webhook_id"]
    assert push_entry.data[CONF_WEBHOOK_SECRET] == webhooks[0]["secret"]
    coordinator = push_entry.runtime_data
    assert coordinator.update_interval == PUSH_POLL_INTERVAL
    assert coordinator.push.status.url_kind == "loopback"
    assert not _push_issue(hass, push_entry)


async def test_reload_replaces_not_duplicates(
    hass: HomeAssistant, sandbox: Sandbox, ha_url: str, push_entry: MockConfigEntry
) -> None:
    """Unload deletes the Seam webhook; setup makes one again: never two."""
    first = push_entry.data[CONF_SEAM_WEBHOOK_ID]
    assert await hass.config_entries.async_unload(push_entry.entry_id)
    assert await sandbox.webhooks() == []
    assert CONF_WEBHOOK_SECRET not in push_entry.data
    assert await hass.config_entries.async_setup(push_entry.entry_id)
    await hass.async_block_till_done()
    webhooks = await sandbox.webhooks()
    assert len(webhooks) == 1
    assert webhooks[0]["webhook_id"] != first


async def test_stale_webhook_of_ours_is_replaced(
    hass: HomeAssistant, sandbox: Sandbox, ha_url: str, mock_config_entry: MockConfigEntry
) -> None:
    """A Seam webhook left for our URL (its secret unknown) is deleted, not kept beside ours."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_WEBHOOK_ID: "0123abcd"}
    )
    async with aiohttp.ClientSession() as session:
        for url in (f"{ha_url}/api/webhook/0123abcd", "https://elsewhere.example/hook"):
            async with session.post(
                f"{sandbox.url}/webhooks/create",
                json={"url": url, "event_types": ["lock.locked"]},
                headers={"Authorization": f"Bearer {sandbox.api_key}"},
            ) as response:
                assert response.status == 200
    stale = {w["url"]: w["webhook_id"] for w in await sandbox.webhooks()}
    await setup_integration(hass, mock_config_entry)
    now = {w["url"]: w["webhook_id"] for w in await sandbox.webhooks()}
    assert set(now) == set(stale)  # one per URL; someone else's webhook is left alone
    assert now["https://elsewhere.example/hook"] == stale["https://elsewhere.example/hook"]
    assert now[f"{ha_url}/api/webhook/0123abcd"] != stale[f"{ha_url}/api/webhook/0123abcd"]


async def test_restart_reuses_the_webhook_it_holds_the_secret_of(
    hass: HomeAssistant, sandbox: Sandbox, ha_url: str, push_entry: MockConfigEntry
) -> None:
    """After a restart (no unload), the stored webhook and secret are used again."""
    kept = dict(push_entry.data)
    push = push_entry.runtime_data.push
    push._registered = False
    hass.data["webhook"].pop(push_entry.data[CONF_WEBHOOK_ID])
    await push.async_start()
    assert dict(push_entry.data) == kept
    assert len(await sandbox.webhooks()) == 1


async def test_removal_deletes_the_webhook_unloading_could_not(
    hass: HomeAssistant, sandbox: Sandbox, ha_url: str, push_entry: MockConfigEntry
) -> None:
    """Seam unreachable while unloading: removing the entry deletes the Seam webhook."""
    await sandbox.fault("/webhooks/delete", "outage", count=1)
    assert await hass.config_entries.async_unload(push_entry.entry_id)
    assert len(await sandbox.webhooks()) == 1
    await hass.config_entries.async_remove(push_entry.entry_id)
    assert await sandbox.webhooks() == []


async def test_removal_when_seam_stays_unreachable(
    hass: HomeAssistant,
    sandbox: Sandbox,
    ha_url: str,
    push_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """If the webhook cannot be deleted at all, the log says where to delete it."""
    await sandbox.fault("/webhooks/delete", "outage", count=2)
    await hass.config_entries.async_remove(push_entry.entry_id)
    assert "delete it in the Seam Console (Webhooks)" in caplog.text
    assert push_entry.data[CONF_WEBHOOK_SECRET] not in caplog.text


async def test_no_reachable_url(
    hass: HomeAssistant, sandbox: Sandbox, mock_config_entry: MockConfigEntry
) -> None:
    """No URL Seam can reach: no webhook, polling every 30 s, and a warning repair issue."""
    await setup_integration(hass, mock_config_entry)
    assert await sandbox.webhooks() == []
    coordinator = mock_config_entry.runtime_data
    assert coordinator.update_interval == POLL_INTERVAL
    assert coordinator.push.status.reason == "no_url"
    issue = _push_issue(hass, mock_config_entry)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_key == "push_unavailable_no_url"
    assert not issue.is_fixable
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    assert not _push_issue(hass, mock_config_entry)


async def test_seam_refuses_the_webhook(
    hass: HomeAssistant, sandbox: Sandbox, ha_url: str, mock_config_entry: MockConfigEntry
) -> None:
    """Seam failing to create the webhook: polling every 30 s and an issue saying so."""
    await sandbox.fault("/webhooks/create", "outage", count=1)
    await setup_integration(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert mock_config_entry.runtime_data.update_interval == POLL_INTERVAL
    issue = _push_issue(hass, mock_config_entry)
    assert issue is not None
    assert issue.translation_key == "push_unavailable_seam_error"


async def test_refused_key_at_setup_is_reauth_not_a_push_problem(
    hass: HomeAssistant,
    sandbox: Sandbox,
    ha_url: str,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """401 during setup: re-authentication starts; no push warning, no push repair issue."""
    await sandbox.fault("*", "unauthorized")
    await setup_integration(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert not _push_issue(hass, mock_config_entry)
    assert _seam_warnings(caplog) == []
    assert await sandbox.webhooks() == []


async def test_seam_down_at_setup_warns_about_push_never(
    hass: HomeAssistant,
    sandbox: Sandbox,
    ha_url: str,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Seam down across setup retries: no push warning or issue per retry; then push works."""
    await sandbox.fault("*", "outage")
    await setup_integration(hass, mock_config_entry)
    for _ in range(2):
        assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
        await hass.config_entries.async_reload(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert _seam_warnings(caplog) == []
    assert not _push_issue(hass, mock_config_entry)
    await sandbox.clear_faults()
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert mock_config_entry.runtime_data.push.status.active
    assert len(await sandbox.webhooks()) == 1


async def test_base_url_choice(hass: HomeAssistant) -> None:
    """External HTTPS first; plain HTTP only on loopback and only for a Seam server on loopback."""
    await hass.config.async_update(internal_url="http://127.0.0.1:8123")
    assert async_webhook_base_url(hass, "https://connect.getseam.com") is None
    assert async_webhook_base_url(hass, "http://127.0.0.1:8790") == "http://127.0.0.1:8123"
    assert async_webhook_base_url(hass, "http://localhost:8790") == "http://127.0.0.1:8123"
    await hass.config.async_update(internal_url="http://192.168.1.2:8123")
    assert async_webhook_base_url(hass, "http://127.0.0.1:8790") is None
    await hass.config.async_update(external_url="https://home.example.org")
    assert async_webhook_base_url(hass, "https://connect.getseam.com") == "https://home.example.org"
    await hass.config.async_update(internal_url=None, external_url="http://home.example.org")
    assert async_webhook_base_url(hass, "http://127.0.0.1:8790") is None


async def test_cloudhook(
    hass: HomeAssistant, sandbox: Sandbox, mock_config_entry: MockConfigEntry
) -> None:
    """With Home Assistant Cloud: the webhook URL is a cloudhook, deleted on removal."""
    cloudhook = "https://hooks.nabu.casa/seam-test-hook"
    with (
        patch("homeassistant.components.cloud.async_active_subscription", return_value=True),
        patch(
            "homeassistant.components.cloud.async_get_or_create_cloudhook",
            AsyncMock(return_value=cloudhook),
        ) as create,
        patch("homeassistant.components.cloud.async_delete_cloudhook", AsyncMock()) as delete,
    ):
        await setup_integration(hass, mock_config_entry)
        create.assert_awaited_once_with(hass, mock_config_entry.data[CONF_WEBHOOK_ID])
        assert [w["url"] for w in await sandbox.webhooks()] == [cloudhook]
        assert mock_config_entry.runtime_data.push.status.url_kind == "cloudhook"
        await hass.config_entries.async_remove(mock_config_entry.entry_id)
        delete.assert_awaited_once_with(hass, mock_config_entry.data[CONF_WEBHOOK_ID])
    assert await sandbox.webhooks() == []


def _cloud_delivery(body: bytes, headers: dict[str, str]) -> MockRequest:
    """A cloudhook delivery as Home Assistant Cloud hands it to the webhook component.

    As ``CloudClient.async_webhook_message`` (components/cloud/client.py) builds it from the
    relayed message: the body as text, the headers, the method, and no remote address.
    """
    return MockRequest(
        content=body.decode("utf-8").encode("utf-8"),
        headers=headers,
        method="POST",
        query_string="",
        mock_source="cloud",
        remote=None,
    )


async def test_cloudhook_delivery_is_applied(
    hass: HomeAssistant, sandbox: Sandbox, mock_config_entry: MockConfigEntry
) -> None:
    """A signed delivery through Home Assistant Cloud: 200, the lock unlocks, one activity."""
    with (
        patch("homeassistant.components.cloud.async_active_subscription", return_value=True),
        patch(
            "homeassistant.components.cloud.async_get_or_create_cloudhook",
            AsyncMock(return_value="https://hooks.nabu.casa/seam-test-hook"),
        ),
    ):
        await setup_integration(hass, mock_config_entry)
    assert mock_config_entry.runtime_data.push.status.url_kind == "cloudhook"
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    event = {
        "event_id": "ev_cloud",
        "event_type": "lock.unlocked",
        "device_id": "salto_lock_front_door",
        "method": "manual",
    }
    body, headers = _signed(mock_config_entry, event)
    response = await webhook.async_handle_webhook(
        hass, mock_config_entry.data[CONF_WEBHOOK_ID], _cloud_delivery(body, headers)
    )
    assert response.status == 200
    await hass.async_block_till_done()
    assert _state(hass) == LockState.UNLOCKED
    assert len([e for e in events if e.data["entity_id"] == FRONT_DOOR_ACTIVITY]) == 1
    # A body over the limit is still refused through the cloud, with nothing changed.
    big = orjson.dumps({**event, "event_id": "ev_big", "pad": "x" * MAX_BODY_BYTES})
    response = await webhook.async_handle_webhook(
        hass,
        mock_config_entry.data[CONF_WEBHOOK_ID],
        _cloud_delivery(big, _signed(mock_config_entry, {}, msg_id="msg_big")[1]),
    )
    assert response.status == 400
    assert mock_config_entry.runtime_data.push.status.rejected == {"too_large": 1}


async def test_cloud_not_connected_falls_back_to_the_url(
    hass: HomeAssistant, sandbox: Sandbox, ha_url: str, mock_config_entry: MockConfigEntry
) -> None:
    """Cloud logged in but not connected: the instance's own URL is used."""
    from homeassistant.components import cloud

    with (
        patch("homeassistant.components.cloud.async_active_subscription", return_value=True),
        patch(
            "homeassistant.components.cloud.async_get_or_create_cloudhook",
            AsyncMock(side_effect=cloud.CloudNotConnected),
        ),
    ):
        await setup_integration(hass, mock_config_entry)
    assert [w["url"] for w in await sandbox.webhooks()] == [_hook_url(ha_url, mock_config_entry)]


# ------------------------------------------------------------------------------ effect


async def test_door_change_arrives_by_push(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    push_entry: MockConfigEntry,
) -> None:
    """A PIN used at the door: the lock unlocks and its activity fires, with no poll."""
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    assert _state(hass) == LockState.LOCKED
    requests_before = await sandbox.requests()
    await sandbox.door(sandbox_state["normal_device_id"], "unlock", method="manual")
    await _wait_for(lambda: _state(hass) == LockState.UNLOCKED)
    await hass.async_block_till_done()
    fired = [
        e.data["new_state"].attributes for e in events if e.data["entity_id"] == FRONT_DOOR_ACTIVITY
    ]
    assert [(a[ATTR_EVENT_TYPE], a["method"]) for a in fired] == [("unlocked", "manual")]
    assert hass.states.get(FRONT_DOOR).attributes["changed_by"] == "manual"
    requests_after = await sandbox.requests()
    assert requests_after.get("/devices/list") == requests_before.get("/devices/list")
    assert push_entry.runtime_data.push.status.accepted == 1


async def test_keycode_unlock_names_the_access_code(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    push_entry: MockConfigEntry,
) -> None:
    """An unlock with a managed access code shows the code's name (never its PIN)."""
    await sandbox.set_config(salto_code_delay_s=0)
    response = await hass.services.async_call(
        DOMAIN,
        "create_access_code",
        {"entity_id": FRONT_DOOR, "name": "Cleaner"},
        blocking=True,
        return_response=True,
    )
    code = response[FRONT_DOOR]
    await sandbox.door(
        sandbox_state["normal_device_id"],
        "unlock",
        method="keycode",
        access_code_id=code["access_code_id"],
    )
    await _wait_for(lambda: _state(hass) == LockState.UNLOCKED)
    await hass.async_block_till_done()
    assert hass.states.get(FRONT_DOOR).attributes["changed_by"] == "Cleaner"
    activity = hass.states.get(FRONT_DOOR_ACTIVITY)
    assert activity is not None
    assert activity.attributes["access_code_name"] == "Cleaner"


async def test_duplicate_delivery_changes_nothing(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    push_entry: MockConfigEntry,
) -> None:
    """Seam delivering the same message twice (a Svix retry): 2xx, one activity, one change."""
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    await sandbox.webhook_fault("duplicate", delay_s=1.1)  # a new svix-timestamp
    await sandbox.door(sandbox_state["normal_device_id"], "unlock")
    await _wait_for_deliveries(sandbox, 2)
    await hass.async_block_till_done()
    fired = [e for e in events if e.data["entity_id"] == FRONT_DOOR_ACTIVITY]
    assert len(fired) == 1
    statuses = [d["status"] for d in (await sandbox.webhook_deliveries())["deliveries"]]
    assert statuses == [200, 200]  # Svix counts the retry as delivered: no further retries
    assert _state(hass) == LockState.UNLOCKED


async def _wait_for_deliveries(sandbox: Sandbox, count: int) -> list[dict[str, Any]]:
    """Wait until the sandbox has made ``count`` delivery attempts; return them."""
    for _ in range(int(WAIT_S / 0.02)):
        deliveries: list[dict[str, Any]] = (await sandbox.webhook_deliveries())["deliveries"]
        if len(deliveries) >= count:
            return deliveries
        await _real_sleep(0.02)
    raise AssertionError(deliveries)


async def test_out_of_order_deliveries_never_go_backwards(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    push_entry: MockConfigEntry,
) -> None:
    """An older unlock arriving after a newer lock does not unlock the lock in Home Assistant;
    each activity still fires once, as it arrives."""
    device_id = sandbox_state["normal_device_id"]
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    await sandbox.webhook_fault("reorder")
    await sandbox.door(device_id, "unlock")  # held back ...
    await sandbox.door(device_id, "lock")  # ... and sent after this one
    deliveries = await _wait_for_deliveries(sandbox, 2)
    assert [d["event_type"] for d in deliveries] == ["lock.locked", "lock.unlocked"]
    await hass.async_block_till_done()
    assert _state(hass) == LockState.LOCKED
    fired = [
        e.data["new_state"].attributes[ATTR_EVENT_TYPE]
        for e in events
        if e.data["entity_id"] == FRONT_DOOR_ACTIVITY
    ]
    assert fired == ["locked", "unlocked"]


async def test_unlock_that_relocked_before_its_confirmation_shows_locked(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    push_entry: MockConfigEntry,
) -> None:
    """A Salto KS unlock that locks again before Seam confirms the unlock: locked at once.

    The relock is pushed while the action still waits for its confirmation; the action's
    result must not then be shown for 15 s over Seam's newer report (found by test_model.py).
    """
    await sandbox.set_unlock_behavior(sandbox_state["normal_device_id"], 0.05)
    await hass.services.async_call("lock", "unlock", {"entity_id": FRONT_DOOR}, blocking=True)
    deliveries = await _wait_for_deliveries(sandbox, 2)
    assert [d["event_type"] for d in deliveries] == ["lock.unlocked", "lock.locked"]
    await hass.async_block_till_done()
    assert _state(hass) == LockState.LOCKED


async def test_sandbox_bad_signature_is_refused(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    push_entry: MockConfigEntry,
) -> None:
    """A delivery signed with another secret gets 401 and changes nothing."""
    await sandbox.webhook_fault("bad_signature")
    await sandbox.door(sandbox_state["normal_device_id"], "unlock")
    deliveries = await _wait_for_deliveries(sandbox, 1)
    assert deliveries[0]["status"] == 401
    await hass.async_block_till_done()
    assert _state(hass) == LockState.LOCKED
    assert push_entry.runtime_data.push.status.rejected == {"bad_signature": 1}


def _forgeries(entry: MockConfigEntry) -> list[tuple[str, bytes, dict[str, str], int]]:
    event = {
        "event_id": "ev_forged",
        "event_type": "lock.unlocked",
        "device_id": "salto_lock_front_door",
        "method": "manual",
    }
    body, headers = _signed(entry, event)
    now = int(time.time())
    stale_body, stale_headers = _signed(entry, event, at=now - 301)
    bad_body, bad_headers = _signed(entry, {"no": "event"})
    big = orjson.dumps({**event, "pad": "x" * MAX_BODY_BYTES})
    big_headers = _signed(entry, {})[1]
    return [
        ("unsigned", body, {"content-type": "application/json"}, 401),
        ("wrong signature", body, {**headers, "svix-signature": "v1," + "A" * 44}, 401),
        ("altered body", body.replace(b"manual", b"keycode"), headers, 401),
        ("stale", stale_body, stale_headers, 401),
        ("bad timestamp", body, {**headers, "svix-timestamp": "soon"}, 401),
        ("malformed", bad_body, bad_headers, 400),
        ("oversized", big, big_headers, 400),
        ("not JSON", b"\x00\xff", {**headers}, 401),
    ]


async def test_forged_deliveries_are_refused(
    hass: HomeAssistant,
    ha_url: str,
    push_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every kind of bad delivery: 401/400, nothing changes, one log line a minute, no body."""
    url = _hook_url(ha_url, push_entry)
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    caplog.set_level(logging.WARNING, logger="custom_components.seam")
    for name, body, headers, status in _forgeries(push_entry):
        assert await _post(url, body, headers) == status, name
    await hass.async_block_till_done()
    assert _state(hass) == LockState.LOCKED
    assert [e for e in events if e.data["entity_id"].startswith(("lock.", "event."))] == []
    warnings = [r for r in caplog.records if r.name.startswith("custom_components.seam")]
    assert len(warnings) == 1
    assert "Refused Seam webhook deliveries" in warnings[0].getMessage()
    assert "ev_forged" not in caplog.text
    assert push_entry.data[CONF_WEBHOOK_SECRET] not in caplog.text


async def test_retried_delivery_gets_2xx_and_changes_nothing(
    hass: HomeAssistant, ha_url: str, push_entry: MockConfigEntry
) -> None:
    """Svix resending an accepted message (same svix-id, new timestamp): 200, applied once."""
    url = _hook_url(ha_url, push_entry)
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    now = int(time.time())
    unlock = {
        "event_id": "ev_1",
        "event_type": "lock.unlocked",
        "device_id": "salto_lock_front_door",
        "occurred_at": "2030-01-01T00:00:00Z",
    }
    lock = {**unlock, "event_id": "ev_2", "event_type": "lock.locked"}
    lock["occurred_at"] = "2030-01-01T00:00:01Z"
    assert await _post(url, *_signed(push_entry, unlock, msg_id="msg_1", at=now - 5)) == 200
    assert await _post(url, *_signed(push_entry, lock, msg_id="msg_2", at=now - 4)) == 200
    await hass.async_block_till_done()
    assert _state(hass) == LockState.LOCKED
    # The retry of the first message, and a replay of the second one as it was.
    assert await _post(url, *_signed(push_entry, unlock, msg_id="msg_1", at=now)) == 200
    assert await _post(url, *_signed(push_entry, lock, msg_id="msg_2", at=now - 4)) == 200
    await hass.async_block_till_done()
    assert _state(hass) == LockState.LOCKED
    fired = [e for e in events if e.data["entity_id"] == FRONT_DOOR_ACTIVITY]
    assert len(fired) == 2
    assert push_entry.runtime_data.push.status.accepted == 2
    assert push_entry.runtime_data.push.status.rejected == {}
    # A retry is only one if it is signed: a forged one with a known id is refused.
    body, headers = _signed(push_entry, unlock, msg_id="msg_1")
    assert await _post(url, body, {**headers, "svix-signature": "v1," + "A" * 44}) == 401


async def test_same_event_in_a_new_message_changes_nothing(
    hass: HomeAssistant, ha_url: str, push_entry: MockConfigEntry
) -> None:
    """A new message with an event already applied (Seam's event id): ignored."""
    url = _hook_url(ha_url, push_entry)
    event = {
        "event_id": "ev_1",
        "event_type": "lock.unlocked",
        "device_id": "salto_lock_front_door",
        "occurred_at": "2030-01-01T00:00:00Z",
    }
    assert await _post(url, *_signed(push_entry, event)) == 200
    await hass.async_block_till_done()
    assert _state(hass) == LockState.UNLOCKED
    body, headers = _signed(push_entry, {**event, "event_type": "lock.locked"}, msg_id="msg_2")
    assert await _post(url, body, headers) == 200
    await hass.async_block_till_done()
    assert _state(hass) == LockState.UNLOCKED


async def test_delivery_arriving_during_unload_is_not_applied(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    ha_url: str,
    push_entry: MockConfigEntry,
) -> None:
    """A delivery whose body is still arriving when the entry unloads changes nothing after."""
    event = {
        "event_id": "ev_late",
        "event_type": "device.low_battery",
        "device_id": sandbox_state["normal_device_id"],
    }
    body, headers = _signed(push_entry, event)
    release = asyncio.Event()

    async def slow_body() -> Any:
        yield body[:8]
        await release.wait()
        yield body[8:]

    delivery = hass.async_create_task(_post(_hook_url(ha_url, push_entry), slow_body(), headers))
    await _real_sleep(0.3)  # the webhook has the request and waits for the rest of the body
    assert await hass.config_entries.async_unload(push_entry.entry_id)
    await sandbox.reset_requests()
    release.set()
    assert await delivery == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    await _real_sleep(0.2)
    assert await sandbox.requests() == {}  # no devices/get for the unloaded entry


async def test_device_event_reads_only_that_device(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    push_entry: MockConfigEntry,
) -> None:
    """device.low_battery: one devices/get of that lock, never the whole list."""
    device_id = sandbox_state["normal_device_id"]
    await sandbox.update_device(
        device_id,
        properties={"battery_level": 0.05, "battery": {"level": 0.05, "status": "critical"}},
    )
    before = await sandbox.requests()
    await sandbox.add_event(device_id=device_id, event_type="device.low_battery")
    await _wait_for(lambda: _state(hass, "sensor.front_door_battery") == "5")
    after = await sandbox.requests()
    assert after.get("/devices/get", 0) - before.get("/devices/get", 0) == 1
    assert after.get("/devices/list") == before.get("/devices/list")


async def test_account_event_refreshes_and_raises_the_repair(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    push_entry: MockConfigEntry,
) -> None:
    """connected_account.disconnected: the locks are read again and the repair appears at once."""
    account_id = sandbox_state["salto_connected_account_id"]
    error = {
        "error_code": "account_disconnected",
        "message": "Account disconnected",
        "is_connected_account_error": True,
    }
    for device_id in sandbox_state["salto_device_ids"]:
        await sandbox.update_device(device_id, errors=[error])
    await sandbox.control(
        "events/add",
        {
            "event_type": "connected_account.disconnected",
            "connected_account_id": account_id,
            # Spec: the event lists the account's errors and warnings.
            "connected_account_errors": [],
            "connected_account_warnings": [],
        },
    )
    registry = ir.async_get(hass)
    await _wait_for(
        lambda: registry.async_get_issue(DOMAIN, f"account_disconnected_{account_id}") is not None
    )


@pytest.mark.parametrize("change", ["lock", "device"])
async def test_push_health_falls_back_to_fast_polling(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    push_entry: MockConfigEntry,
    change: str,
) -> None:
    """Deliveries lost while Seam reports changes (a lock event or a device event): poll every
    30 s and say so in a repair issue, until a delivery arrives again."""
    coordinator = push_entry.runtime_data
    device_id = sandbox_state["normal_device_id"]
    issue_id = f"push_unavailable_{push_entry.entry_id}"
    await sandbox.webhook_fault("drop", count=None)
    if change == "lock":
        await sandbox.door(device_id, "unlock")
    else:
        await sandbox.update_device(device_id, properties={"online": False})
        # Spec: device.disconnected carries an error_code and the errors and warnings lists.
        await sandbox.add_event(
            device_id,
            "device.disconnected",
            error_code="device_disconnected",
            connected_account_errors=[],
            connected_account_warnings=[],
            device_errors=[],
            device_warnings=[],
        )
    await _wait_for_deliveries(sandbox, 1)
    # Seam made the event longer ago than push may take.
    with patch("custom_components.seam.coordinator.PUSH_GRACE", timedelta(0)):
        await coordinator.async_refresh()
    await hass.async_block_till_done()
    if change == "lock":
        assert _state(hass) == LockState.UNLOCKED  # the poll still shows it
    else:
        assert _state(hass) == "unavailable"
    assert coordinator.update_interval == POLL_INTERVAL
    assert not coordinator.push_healthy
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "push_unavailable_not_delivered"

    await sandbox.clear_webhook_faults()
    await sandbox.door(device_id, "lock")
    await _wait_for(lambda: coordinator.push_healthy)
    assert coordinator.update_interval == PUSH_POLL_INTERVAL
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_entry_data_keeps_the_secret_out_of_the_log(
    hass: HomeAssistant,
    sandbox: Sandbox,
    ha_url: str,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Setting up push at debug level logs neither the webhook secret nor the API key."""
    caplog.set_level(logging.DEBUG)
    await setup_integration(hass, mock_config_entry)
    assert mock_config_entry.data[CONF_WEBHOOK_SECRET] not in caplog.text
    assert mock_config_entry.data[CONF_API_KEY] not in caplog.text


async def test_poll_in_flight_does_not_undo_a_push(
    hass: HomeAssistant, sandbox: Sandbox, ha_url: str, push_entry: MockConfigEntry
) -> None:
    """A device list requested before a pushed change arrived does not revert it."""
    coordinator = push_entry.runtime_data
    await sandbox.fault("/devices/list", "delay", delay_s=0.5, count=1)
    poll = hass.async_create_task(coordinator.async_refresh())
    await asyncio.sleep(0.1)
    # Signed like Seam; the sandbox's own device state still says locked.
    event = {
        "event_id": "ev_new",
        "event_type": "lock.unlocked",
        "device_id": "salto_lock_front_door",
    }
    body, headers = _signed(push_entry, event)
    assert await _post(_hook_url(ha_url, push_entry), body, headers) == 200
    await poll
    await hass.async_block_till_done()
    assert _state(hass) == LockState.UNLOCKED
    # The next poll, requested after the change, shows what Seam reports.
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert _state(hass) == LockState.LOCKED


async def test_events_for_unknown_devices_and_failed_reads_change_nothing(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    ha_url: str,
    push_entry: MockConfigEntry,
) -> None:
    """A lock event of an unknown device, or a device read that fails: nothing changes."""
    url = _hook_url(ha_url, push_entry)
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    unknown = {"event_id": "ev_a", "event_type": "lock.unlocked", "device_id": "not_a_lock"}
    assert await _post(url, *_signed(push_entry, unknown, msg_id="m1")) == 200
    await sandbox.fault("/devices/get", "outage", count=1)
    battery = {
        "event_id": "ev_b",
        "event_type": "device.low_battery",
        "device_id": sandbox_state["normal_device_id"],
    }
    assert await _post(url, *_signed(push_entry, battery, msg_id="m2")) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [e for e in events if e.data["entity_id"].startswith(("lock.", "sensor."))] == []


async def test_remembered_event_ids_are_bounded(
    hass: HomeAssistant, ha_url: str, push_entry: MockConfigEntry
) -> None:
    """Only the latest event ids are kept against duplicates (memory stays bounded)."""
    url = _hook_url(ha_url, push_entry)
    with patch("custom_components.seam.coordinator.MAX_SEEN_EVENTS", 1):
        for n, event_type in enumerate(("lock.unlocked", "lock.locked", "lock.unlocked")):
            event = {
                "event_id": f"ev_{n % 2}",
                "event_type": event_type,
                "device_id": "salto_lock_front_door",
            }
            assert await _post(url, *_signed(push_entry, event, msg_id=f"m{n}")) == 200
            await hass.async_block_till_done()
    # ev_0 was forgotten once ev_1 came, so its second delivery applied again.
    assert _state(hass) == LockState.UNLOCKED


async def test_our_webhook_with_other_event_types_is_replaced(
    hass: HomeAssistant, sandbox: Sandbox, ha_url: str, push_entry: MockConfigEntry
) -> None:
    """A stored webhook that asks for other event types (an older version) is made again."""
    old_id = push_entry.data[CONF_SEAM_WEBHOOK_ID]
    assert await hass.config_entries.async_unload(push_entry.entry_id)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{sandbox.url}/webhooks/create",
            json={"url": _hook_url(ha_url, push_entry), "event_types": ["lock.locked"]},
            headers={"Authorization": f"Bearer {sandbox.api_key}"},
        ) as response,
    ):
        created = (await response.json())["webhook"]
    hass.config_entries.async_update_entry(
        push_entry,
        data={
            **push_entry.data,
            CONF_SEAM_WEBHOOK_ID: created["webhook_id"],
            CONF_WEBHOOK_SECRET: created["secret"],
        },
    )
    assert await hass.config_entries.async_setup(push_entry.entry_id)
    await hass.async_block_till_done()
    webhooks = await sandbox.webhooks()
    assert len(webhooks) == 1
    assert webhooks[0]["webhook_id"] not in (old_id, created["webhook_id"])
    assert webhooks[0]["event_types"] == list(WEBHOOK_EVENT_TYPES)


async def test_a_webhook_without_secret_is_not_used(
    hass: HomeAssistant, sandbox: Sandbox, ha_url: str, mock_config_entry: MockConfigEntry
) -> None:
    """Seam answering without a secret: push stays off (nothing could be verified)."""
    no_secret = Webhook(webhook_id="wh_1", url="https://x.example", event_types=(), secret=None)
    with patch.object(SeamClient, "create_webhook", AsyncMock(return_value=no_secret)):
        await setup_integration(hass, mock_config_entry)
    assert not mock_config_entry.runtime_data.push.status.active
    assert mock_config_entry.runtime_data.push.status.reason == "seam_error"


async def test_no_url_at_all_for_a_loopback_seam(hass: HomeAssistant) -> None:
    """A Seam test server on loopback but no URL of Home Assistant known: no webhook."""
    assert async_webhook_base_url(hass, "http://127.0.0.1:8790") is None


async def test_failed_setup_removes_the_webhooks(
    hass: HomeAssistant, sandbox: Sandbox, ha_url: str, mock_config_entry: MockConfigEntry
) -> None:
    """Setup failing after push started (Seam down): no webhook is left; the retry works."""
    await sandbox.fault("/workspaces/get", "outage", count=1)
    await setup_integration(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert await sandbox.webhooks() == []
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert len(await sandbox.webhooks()) == 1


async def test_delivery_before_the_first_poll_is_left_to_it(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """An event that arrives before the first poll changes nothing (that poll reads it all)."""
    mock_config_entry.add_to_hass(hass)
    coordinator = SeamCoordinator(hass, mock_config_entry)
    coordinator.async_handle_push_event(
        {"event_id": "ev", "event_type": "lock.unlocked", "device_id": "salto_lock_front_door"}
    )
    assert coordinator.data is None
    assert coordinator.activity == {}


async def test_pushed_pin_assignment_fires_access_code_ready(
    hass: HomeAssistant, sandbox: Sandbox, push_entry: MockConfigEntry
) -> None:
    """A future Salto KS code gets its PIN at its start: push brings seam_access_code_ready."""
    ready = async_capture_events(hass, "seam_access_code_ready")
    now = dt_util.utcnow()
    response = await hass.services.async_call(
        DOMAIN,
        "create_access_code",
        {
            "entity_id": FRONT_DOOR,
            "name": "Guest",
            "starts_at": (now + timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(hours=5)).isoformat(),
        },
        blocking=True,
        return_response=True,
    )
    assert response[FRONT_DOOR]["code"] is None
    before = await sandbox.requests()
    await sandbox.advance_clock(3600 + 60)
    await _wait_for(lambda: len(ready) == 1)
    assert ready[0].data["access_code_id"] == response[FRONT_DOOR]["access_code_id"]
    assert ready[0].data["device_id"] == "salto_lock_front_door"
    assert "code" not in ready[0].data  # the PIN is never in an event
    after = await sandbox.requests()
    assert after.get("/devices/list") == before.get("/devices/list")  # push, not a poll


async def test_pushed_access_code_event_updates_the_codes_sensor(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    push_entry: MockConfigEntry,
) -> None:
    """A code made outside Home Assistant shows on the lock's sensor at once, without a poll."""
    device_id = sandbox_state["normal_device_id"]
    sensor = "sensor.front_door_access_codes"
    assert _state(hass, sensor) in ("0", "unknown")
    before = await sandbox.requests()
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{sandbox.url}/access_codes/create",
            json={"device_id": device_id, "name": "Made in the Seam Console"},
            headers={"Authorization": f"Bearer {sandbox.api_key}"},
        ) as response,
    ):
        assert response.status == 200
    await _wait_for(lambda: _state(hass, sensor) == "1")
    names = [code["name"] for code in hass.states.get(sensor).attributes["access_codes"]]
    assert names == ["Made in the Seam Console"]
    after = await sandbox.requests()
    assert after.get("/devices/list") == before.get("/devices/list")  # push, not a poll


async def test_polls_stop_reading_codes_once_filled_while_push_works(
    hass: HomeAssistant, sandbox: Sandbox, push_entry: MockConfigEntry
) -> None:
    """With push working, a poll reads no access codes once every lock's codes were read."""
    coordinator = push_entry.runtime_data
    assert coordinator.push_healthy
    for _ in range(len(coordinator.data) + 1):
        if len(coordinator.access_codes) == len(coordinator.data):
            break
        await coordinator.async_refresh()
    assert set(coordinator.access_codes) == set(coordinator.data)
    await sandbox.reset_requests()
    await coordinator.async_refresh()
    requests = await sandbox.requests()
    assert "/access_codes/list" not in requests
    assert requests["/devices/list"] == 1
