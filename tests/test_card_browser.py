"""The "Manage access" card in a real browser, against a real Home Assistant and the sandbox.

One Home Assistant process (tests/hass_process.py) with the Seam entry; a dashboard with the card
(its resource added by the integration itself); headless Chromium driven by Playwright's client
(tests/card_browser.mjs) finds the card in the card picker, sees a mistake in the create action's
own words, adds a code on two locks, sees each PIN once, sees a Salto KS code go
from "PIN pending" to its PIN when the sandbox's clock passes its start, edits its window,
deletes it, and sees a non-admin user refused.
"""

import json
import os
from pathlib import Path
import shutil
import subprocess
from typing import Any

import aiohttp
import pytest

from custom_components.seam.card import CARD_URL
from tests.hass_process import ROOT, HassProcess, wait_for
from tests.sandbox import Sandbox

pytestmark = pytest.mark.timeout(240)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
DASHBOARD = "seam-access"
GUEST = {"username": "guest", "password": "guest-password-1"}
SALTO = {"entity_id": "lock.front_door", "name": "Front Door"}
OTHER = {"entity_id": "lock.garage_entry", "name": "Garage Entry"}


async def _ws(
    http: aiohttp.ClientSession, hass: HassProcess, *messages: dict[str, Any]
) -> list[Any]:
    """Send commands over Home Assistant's websocket API as the owner; return their results."""
    results = []
    async with http.ws_connect(f"{hass.url}/api/websocket") as ws:
        assert (await ws.receive_json())["type"] == "auth_required"
        await ws.send_json({"type": "auth", "access_token": hass.token})
        assert (await ws.receive_json())["type"] == "auth_ok"
        for message_id, message in enumerate(messages, start=1):
            await ws.send_json({"id": message_id, **message})
            reply = await ws.receive_json()
            assert reply["success"], reply
            results.append(reply["result"])
    return results


async def prepare(hass: HassProcess, sandbox: Sandbox) -> None:
    """Onboard, add Seam, save a dashboard with the card, add a user who is not an admin."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        await hass.onboard(http)
        await hass.add_seam_entry(http, sandbox.url, sandbox.api_key)
        await add_dashboard(http, hass)


async def add_dashboard(http: aiohttp.ClientSession, hass: HassProcess) -> None:
    """Save a dashboard with the card and add a user who is not an admin."""

    async def locks_ready() -> bool:
        states = await hass.api(http, "GET", "/api/states")
        return {SALTO["entity_id"], OTHER["entity_id"]} <= {s["entity_id"] for s in states}

    await wait_for("the Seam lock entities", locks_ready)
    card = {
        "type": "custom:seam-access-card",
        "entities": [SALTO["entity_id"], OTHER["entity_id"]],
    }
    config = {"views": [{"title": "Access", "path": "access", "cards": [card]}]}
    resources, _, _, user = await _ws(
        http,
        hass,
        {"type": "lovelace/resources"},
        {
            "type": "lovelace/dashboards/create",
            "url_path": DASHBOARD,
            "title": "Access",
            "mode": "storage",
            "require_admin": False,
        },
        {"type": "lovelace/config/save", "url_path": DASHBOARD, "config": config},
        {"type": "config/auth/create", "name": "Guest", "group_ids": ["system-users"]},
    )
    # The integration added its card to the dashboards' resources by itself.
    assert [r["url"].split("?")[0] for r in resources] == [CARD_URL]
    await _ws(
        http,
        hass,
        {
            "type": "config/auth_provider/homeassistant/create",
            "user_id": user["user"]["id"],
            **GUEST,
        },
    )


def run_browser(hass: HassProcess, sandbox: Sandbox, shots: Path | None = None) -> str:
    """Run tests/card_browser.mjs; return its output (it fails the test if a step fails)."""
    args = {
        "dashboard": f"{hass.url}/{DASHBOARD}/access",
        "sandbox": sandbox.url,
        "owner": {"username": hass.OWNER_USERNAME, "password": hass.OWNER_PASSWORD},
        "guest": GUEST,
        "salto": SALTO,
        "other": OTHER,
    }
    if shots is not None:
        args["shots"] = str(shots)
    result = subprocess.run(
        ["node", str(ROOT / "tests" / "card_browser.mjs"), json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n{hass.log_tail()}"
    return result.stdout


async def test_card_in_a_browser(hass_process: HassProcess, sandbox: Sandbox) -> None:
    """Add on two locks, PIN once, Salto PIN pending then live, edit, delete, non-admin refused."""
    assert shutil.which(CHROMIUM), f"{CHROMIUM} is missing: scripts/setup installs Chromium"
    hass = hass_process
    await sandbox.set_config(salto_code_delay_s=0.5)
    await prepare(hass, sandbox)
    output = run_browser(hass, sandbox)
    assert output.splitlines() == [
        "step: the card shows both locks",
        "step: added a code on two locks and saw each PIN once",
        "step: a future Salto code shows PIN pending",
        "step: the Salto code's PIN arrived without a reload",
        "step: edited its window",
        "step: deleted it",
        "step: a non-admin user is refused",
    ], output
    log = hass.log_text()
    assert "Error handling message" not in log
    assert [line for line in log.splitlines() if " ERROR " in line and "seam" in line] == []
