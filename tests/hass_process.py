"""A real Home Assistant process (`python -m homeassistant`) for end-to-end tests.

It runs from a temporary config folder whose `custom_components/seam` links to this checkout, binds
127.0.0.1 on a free port, logs to a file, and is stopped by its PID.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
import json
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import time
from typing import Any, Self
import urllib.error
import urllib.request

import aiohttp
from homeassistant.components.http import config as http_config
from homeassistant.util import dt as dt_util

from tests import sign_in_on_webview

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def write_http_config(config_dir: Path, port: int) -> None:
    """Store Home Assistant's HTTP settings (127.0.0.1:`port`) as already confirmed.

    Since 2026.10 Home Assistant moves `http:` YAML into storage as an unconfirmed trial and, unless
    someone confirms it in the UI, reverts after five minutes to its default: every interface, port
    8123. Storing the settings as the confirmed ("stable") config keeps it on loopback from start.
    """
    stable = {
        **http_config.HTTP_STORAGE_SCHEMA({"server_host": ["127.0.0.1"], "server_port": port}),
        http_config.HTTP_CONFIG_CREATED_AT: dt_util.utcnow().isoformat(),
        http_config.HTTP_CONFIG_ERROR: None,
        http_config.HTTP_CONFIG_ERROR_MESSAGE: None,
    }
    storage = config_dir / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    (storage / http_config.STORAGE_KEY).write_text(
        json.dumps(
            {
                "version": http_config.STORAGE_VERSION,
                "minor_version": http_config.STORAGE_MINOR_VERSION,
                "key": http_config.STORAGE_KEY,
                "data": {
                    http_config.KEY_STABLE: stable,
                    http_config.KEY_PENDING: None,
                    http_config.KEY_YAML_MIGRATION_DONE: True,
                },
            },
            indent=2,
        )
    )


async def wait_for[T](what: str, check: Callable[[], Awaitable[T]], seconds: float = 30) -> T:
    """Poll the async `check` until it returns something truthy; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := await check():
            return result
        await asyncio.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


class HassProcess:
    """A Home Assistant server process with an owner created through onboarding."""

    OWNER_USERNAME = "owner"
    OWNER_PASSWORD = "correct-horse-battery"

    def __init__(self, config_dir: Path, port: int, process: subprocess.Popen[bytes]) -> None:
        """Wrap a started process (use `start`)."""
        self.config_dir = config_dir
        self.port = port
        self.process = process
        self.url = f"http://127.0.0.1:{port}"
        self.client_id = f"{self.url}/"
        self.token: str | None = None

    @property
    def log_path(self) -> Path:
        """Home Assistant's log file."""
        return self.config_dir / "hass.out"

    @classmethod
    def start(cls, config_dir: Path, timeout: float = 90) -> Self:
        """Write a config, start Home Assistant and wait until its HTTP API answers."""
        port = free_port()
        (config_dir / "custom_components").mkdir(parents=True)
        (config_dir / "custom_components" / "seam").symlink_to(ROOT / "custom_components" / "seam")
        (config_dir / "configuration.yaml").write_text(
            "homeassistant:\n  name: Seam end-to-end\n  time_zone: UTC\n"
            # The sandbox (a Seam test server on loopback) delivers webhooks here.
            f"  internal_url: http://127.0.0.1:{port}\n"
            "logger:\n  default: warning\n  logs:\n    custom_components.seam: debug\n"
        )
        write_http_config(config_dir, port)
        log = (config_dir / "hass.out").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "homeassistant", "-c", str(config_dir), "--skip-pip"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        log.close()
        server = cls(config_dir, port, process)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"Home Assistant exited:\n{server.log_tail()}")
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urllib.request.urlopen(f"{server.url}/api/onboarding", timeout=2) as resp,  # noqa: S310
            ):
                if resp.status == 200:
                    return server
            time.sleep(0.3)
        server.stop()
        raise TimeoutError(f"Home Assistant did not answer in {timeout} s:\n{server.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        """The end of Home Assistant's log (for failure messages)."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def log_text(self) -> str:
        """The whole log so far."""
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 30) -> None:
        """Stop Home Assistant by its PID: SIGTERM, then SIGKILL after `timeout` seconds."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(10)

    async def onboard(self, session: aiohttp.ClientSession) -> None:
        """Create the owner through onboarding, as the frontend does, and keep an access token."""
        async with session.post(
            f"{self.url}/api/onboarding/users",
            json={
                "client_id": self.client_id,
                "name": "Owner",
                "username": self.OWNER_USERNAME,
                "password": self.OWNER_PASSWORD,
                "language": "en",
            },
        ) as resp:
            resp.raise_for_status()
            auth_code = (await resp.json())["auth_code"]
        async with session.post(
            f"{self.url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": auth_code,
                "client_id": self.client_id,
            },
        ) as resp:
            resp.raise_for_status()
            self.token = (await resp.json())["access_token"]
        await self.api(session, "POST", "/api/onboarding/core_config")
        await self.api(session, "POST", "/api/onboarding/analytics")
        await self.api(
            session,
            "POST",
            "/api/onboarding/integration",
            {"client_id": self.client_id, "redirect_uri": f"{self.url}/?auth_callback=1"},
        )

    async def api(
        self,
        session: aiohttp.ClientSession,
        method: str,
        path: str,
        payload: dict[str, Any] | None = None,
        *,
        expect: int = 200,
    ) -> Any:
        """Call Home Assistant's REST API with the owner's token; assert the status."""
        headers = {"Authorization": f"Bearer {self.token}"}
        async with session.request(method, self.url + path, json=payload, headers=headers) as resp:
            body = await resp.text()
            assert resp.status == expect, f"{method} {path}: {resp.status} {body}"
            return await resp.json() if body else None

    async def websocket(self, session: aiohttp.ClientSession, message: dict[str, Any]) -> Any:
        """Send one command over Home Assistant's WebSocket API as the owner; return its result."""
        async with session.ws_connect(f"{self.url}/api/websocket") as ws:
            assert (await ws.receive_json())["type"] == "auth_required"
            await ws.send_json({"type": "auth", "access_token": self.token})
            assert (await ws.receive_json())["type"] == "auth_ok"
            await ws.send_json({"id": 1, **message})
            reply = await ws.receive_json()
            assert reply["success"], reply
            return reply["result"]

    async def add_seam_entry(
        self, http: aiohttp.ClientSession, api_url: str, api_key: str
    ) -> dict[str, Any]:
        """Walk the Seam config flow as the frontend does, linking a Salto KS account."""
        flow = await self.api(http, "POST", "/api/config/config_entries/flow", {"handler": "seam"})
        assert (flow["type"], flow["step_id"]) == ("form", "user"), flow
        path = f"/api/config/config_entries/flow/{flow['flow_id']}"
        flow = await self.api(
            http, "POST", path, {"api_key": api_key, "advanced": {"api_url": api_url}}
        )
        # The sandbox workspace already has locks: the menu offers to link another account.
        assert flow["type"] == "menu", flow
        flow = await self.api(http, "POST", path, {"next_step_id": "link_account"})
        assert flow["type"] == "external", flow
        assert 'id="success"' in await sign_in_on_webview(flow["url"])

        async def finished() -> dict[str, Any] | None:
            result: dict[str, Any] = await self.api(http, "GET", path)
            if result["type"] == "external_step_done":
                result = await self.api(http, "POST", path, {})
            return result if result["type"] == "create_entry" else None

        return await wait_for("the config flow to create the entry", finished)


def skip_onboarding_location_step(config_dir: Path) -> None:
    """Before the first start, mark onboarding's location step ("core_config") as done.

    Finishing that step sets up Met.no, Radio Browser, Shopping list and Google Translate, which
    fail in scripts/develop's Home Assistant (it runs with --skip-pip, so their packages are
    missing) and show as "Failed to set up". scripts/develop then finishes the other steps itself
    (see scripts/onboard_dev.py): with a step done, the frontend's welcome page would get a 401.
    """
    path = config_dir / ".storage" / "onboarding"
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"done": ["core_config"]}
    path.write_text(
        json.dumps({"version": 4, "minor_version": 1, "key": "onboarding", "data": data})
    )


if __name__ == "__main__":
    # scripts/develop: python -m tests.hass_process <config dir> <port>
    write_http_config(Path(sys.argv[1]), int(sys.argv[2]))
    skip_onboarding_location_step(Path(sys.argv[1]))
