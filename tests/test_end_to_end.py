"""End to end: a real Home Assistant process, driven only through its HTTP API, as a client would.

The owner is created through onboarding, the Seam config flow is walked with the sandbox key, the
sandbox's Connect Webview login page is filled in over HTTP, and then the Salto KS locks are used.
"""

from collections.abc import AsyncIterator
import re
import time
from typing import Any

import aiohttp
import pytest

from tests.hass_process import HassProcess, wait_for
from tests.sandbox import Sandbox

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP client, like a browser or an API user."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


async def test_user_journey_through_home_assistant_http_api(
    hass_process: HassProcess, sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    """Onboard, add Seam via the webview, see the locks, unlock one, and create an access code."""
    hass = hass_process
    await hass.onboard(http)

    # The config flow, as the frontend drives it, including the login on the webview page.
    created = await hass.add_seam_entry(http, sandbox.url, sandbox.api_key)
    assert created["title"] == "My Workspace (sandbox)"

    async def states() -> dict[str, dict[str, Any]]:
        result = await hass.api(http, "GET", "/api/states")
        return {state["entity_id"]: state for state in result}

    async def salto_entities() -> dict[str, dict[str, Any]] | None:
        current = await states()
        names = {s["attributes"].get("friendly_name") for s in current.values()}
        return current if {"Front Door", "Front Door Battery"} <= names else None

    current = await wait_for("the Salto KS lock entities", salto_entities)
    by_name = {s["attributes"].get("friendly_name"): s for s in current.values()}
    front_door = by_name["Front Door"]
    assert front_door["entity_id"].startswith("lock.")
    assert front_door["state"] == "locked"
    battery = by_name["Front Door Battery"]
    assert battery["attributes"]["device_class"] == "battery"
    assert battery["attributes"]["unit_of_measurement"] == "%"
    assert float(battery["state"]) > 0
    # Every lock of the workspace has an entity: the fake's 2 August and 1 Schlage locks, the
    # 5 seeded Salto KS locks and the 2 of the account just linked through the webview.
    assert len([e for e in current if e.startswith("lock.")]) == 10

    # Unlock the front door.
    await hass.api(
        http, "POST", "/api/services/lock/unlock", {"entity_id": front_door["entity_id"]}
    )

    async def unlocked() -> bool:
        return (await states())[front_door["entity_id"]]["state"] == "unlocked"

    await wait_for("the front door to be unlocked", unlocked, seconds=10)

    # A PIN for a guest: Salto assigns it, the action waits for it and returns it.
    response = await hass.api(
        http,
        "POST",
        "/api/services/seam/create_access_code?return_response",
        {"entity_id": front_door["entity_id"], "name": "Guest"},
    )
    code = response["service_response"][front_door["entity_id"]]
    assert code["name"] == "Guest"
    assert re.fullmatch(r"\d{6,10}", code["code"])  # Salto KS: 6 to 10 digits
    assert code["is_waiting_for_code_assignment"] is False

    # Nothing secret reached Home Assistant's log, and the integration logged no error.
    hass.stop()
    log = hass.log_text()
    assert sandbox.api_key not in log
    assert code["code"] not in log
    assert "auth_token" not in log
    assert not [
        line
        for line in log.splitlines()
        if ("ERROR" in line or "Traceback" in line) and "custom_components.seam" in line
    ]


async def test_push_through_home_assistant(
    hass_process: HassProcess, sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    """A change at the door reaches Home Assistant by push; a forgery does not; removal cleans up.

    Polling is switched off for the entry (its system option), so only a webhook delivery can
    change the state; the sandbox's request counts confirm that no device list was read.
    """
    hass = hass_process
    await hass.onboard(http)
    created = await hass.add_seam_entry(http, sandbox.url, sandbox.api_key)
    entry_id = (
        created["result"]["entry_id"] if isinstance(created["result"], dict) else created["result"]
    )
    webhooks = await sandbox.webhooks()
    assert len(webhooks) == 1
    assert webhooks[0]["url"].startswith(f"{hass.url}/api/webhook/")

    await hass.websocket(
        http, {"type": "config_entries/update", "entry_id": entry_id, "pref_disable_polling": True}
    )

    async def front_door() -> dict[str, Any] | None:
        for state in await hass.api(http, "GET", "/api/states"):
            if state["attributes"].get("friendly_name") == "Front Door" and state[
                "entity_id"
            ].startswith("lock."):
                return state  # type: ignore[no-any-return]
        return None

    # The entry reloads with polling off: a new Seam webhook replaces the old one.
    await wait_for("the entry to reload", lambda: _one_webhook_other_than(sandbox, webhooks[0]))
    current_webhook = (await sandbox.webhooks())[0]
    hook_url = current_webhook["url"]
    lock = await wait_for("the front door", front_door)
    assert lock["state"] == "locked"
    state = await sandbox.state()
    await sandbox.reset_requests()

    started = time.monotonic()
    await sandbox.door(state["normal_device_id"], "unlock", method="manual")

    async def unlocked() -> bool:
        current = await front_door()
        return current is not None and current["state"] == "unlocked"

    await wait_for("the unlock to arrive by push", unlocked, seconds=10)
    elapsed = time.monotonic() - started
    assert elapsed < 5, elapsed  # the poll interval is 10 minutes, and polling is off
    requests = await sandbox.requests()
    assert "/devices/list" not in requests, requests

    # A forged delivery: refused with 401, the lock stays unlocked.
    forged = (
        b'{"event_id": "forged", "event_type": "lock.locked", "device_id": "salto_lock_front_door"}'
    )
    async with http.post(
        hook_url,
        data=forged,
        headers={
            "svix-id": "msg_forged",
            "svix-timestamp": str(int(time.time())),
            "svix-signature": "v1,bm90IGEgc2lnbmF0dXJlIG9mIFNlYW0ncw==",
        },
    ) as response:
        assert response.status == 401
    assert (await front_door() or {}).get("state") == "unlocked"

    # Removing the entry deletes the Seam webhook.
    await hass.api(http, "DELETE", f"/api/config/config_entries/entry/{entry_id}")
    assert await sandbox.webhooks() == []

    hass.stop()
    log = hass.log_text()
    assert current_webhook["secret"] not in log
    assert not [
        line
        for line in log.splitlines()
        if ("ERROR" in line or "Traceback" in line) and "custom_components.seam" in line
    ]


async def _one_webhook_other_than(sandbox: Sandbox, old: dict[str, Any]) -> bool:
    webhooks = await sandbox.webhooks()
    return len(webhooks) == 1 and webhooks[0]["webhook_id"] != old["webhook_id"]
