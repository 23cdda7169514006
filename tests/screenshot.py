"""Regenerate the README's screenshots (run by scripts/screenshot).

Starts the local Seam sandbox and a real Home Assistant, onboards it, adds the Seam integration
through its config flow (webview login included), saves a dashboard with the lock and battery
entities, and has headless Chromium (driven by Playwright, scripts/screenshot.mjs) log in and
photograph it; then runs the access card's browser scenario (tests/card_browser.mjs), which
photographs the card (docs/images/card-*.png: light, dark, phone width, a new PIN, non-admin).
"""

import argparse
import asyncio
from pathlib import Path
import subprocess
import tempfile
from typing import Any

import aiohttp

from tests.hass_process import ROOT, HassProcess, wait_for
from tests.sandbox import Sandbox
from tests.test_card_browser import add_dashboard, run_browser

DEFAULT_OUT = ROOT / "docs" / "images" / "dashboard.png"
DASHBOARD = "seam-locks"


async def _save_dashboard(http: aiohttp.ClientSession, hass: HassProcess) -> None:
    """Create a dashboard showing the Seam locks and their batteries."""
    states: list[dict[str, Any]] = await hass.api(http, "GET", "/api/states")

    def name(state: dict[str, Any]) -> str:
        return str(state["attributes"].get("friendly_name", state["entity_id"]))

    locks = sorted((s for s in states if s["entity_id"].startswith("lock.")), key=name)
    batteries = sorted(
        (s for s in states if s["attributes"].get("device_class") == "battery"), key=name
    )
    config = {
        "title": "Home",
        "views": [
            {
                "title": "Locks",
                "path": "locks",
                "cards": [
                    {
                        "type": "entities",
                        "title": "Locks",
                        "entities": [s["entity_id"] for s in locks],
                    },
                    {
                        "type": "entities",
                        "title": "Batteries",
                        "entities": [s["entity_id"] for s in batteries],
                    },
                ],
            }
        ],
    }
    async with http.ws_connect(f"{hass.url}/api/websocket") as ws:
        assert (await ws.receive_json())["type"] == "auth_required"
        await ws.send_json({"type": "auth", "access_token": hass.token})
        assert (await ws.receive_json())["type"] == "auth_ok"
        for message_id, message in enumerate(
            (
                {
                    "type": "lovelace/dashboards/create",
                    "url_path": DASHBOARD,
                    "title": "Locks",
                    "icon": "mdi:lock",
                    "mode": "storage",
                    "show_in_sidebar": True,
                    "require_admin": False,
                },
                {"type": "lovelace/config/save", "url_path": DASHBOARD, "config": config},
            ),
            start=1,
        ):
            await ws.send_json({"id": message_id, **message})
            result = await ws.receive_json()
            assert result["success"], result


async def _prepare(hass: HassProcess, sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        await hass.onboard(http)
        await hass.add_seam_entry(http, sandbox.url, sandbox.api_key)

        async def locks_ready() -> bool:
            states = await hass.api(http, "GET", "/api/states")
            return any(s["attributes"].get("friendly_name") == "Front Door" for s in states)

        await wait_for("the Seam lock entities", locks_ready)
        await _save_dashboard(http, hass)
        await add_dashboard(http, hass)


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="PNG file to write")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    print("==> starting the sandbox and Home Assistant", flush=True)
    sandbox = Sandbox.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            hass = HassProcess.start(Path(tmp) / "config")
            try:
                print("==> onboarding, adding Seam, saving the dashboard", flush=True)
                asyncio.run(_prepare(hass, sandbox))
                print("==> taking the screenshot with headless Chromium", flush=True)
                subprocess.run(
                    [
                        "node",
                        str(ROOT / "scripts" / "screenshot.mjs"),
                        f"{hass.url}/{DASHBOARD}/locks",
                        HassProcess.OWNER_USERNAME,
                        HassProcess.OWNER_PASSWORD,
                        str(args.out),
                    ],
                    check=True,
                    timeout=180,
                )
                print("==> the access card: light, dark, phone width, non-admin", flush=True)
                run_browser(hass, sandbox, args.out.parent)
            finally:
                hass.stop()
    finally:
        sandbox.stop()
    print(f"==> wrote {args.out}", flush=True)


if __name__ == "__main__":
    main()
