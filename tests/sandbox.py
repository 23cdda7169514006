"""Start and drive the local Seam sandbox (``sandbox/server.mjs``) from tests.

The sandbox is Seam's fake API server plus Salto KS devices and a control API
under ``/_sandbox/``. Typical use in a fixture::

    sandbox = Sandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()
"""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import json
import os
from pathlib import Path
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from types import TracebackType
from typing import Any, Self
import urllib.parse

import aiohttp

REPO_ROOT = Path(__file__).resolve().parent.parent
SANDBOX_DIR = REPO_ROOT / "sandbox"
SERVER_SCRIPT = SANDBOX_DIR / "server.mjs"
READY_LINE = "SEAM_SANDBOX_READY"
STOP_TIMEOUT = 5.0
CONTROL_TIMEOUT = 30.0


class SandboxError(RuntimeError):
    """The sandbox failed to start or a control request failed."""


def _ensure_node_modules() -> None:
    """Run ``npm ci`` in sandbox/ once if its node_modules is missing."""
    if (SANDBOX_DIR / "node_modules").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SandboxError("sandbox/node_modules is missing and npm is not installed")
    lock_path = Path(tempfile.gettempdir()) / "seam-sandbox-npm-ci.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (SANDBOX_DIR / "node_modules").is_dir():
            return
        result = subprocess.run(
            [
                npm,
                "ci",
                "--prefix",
                str(SANDBOX_DIR),
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise SandboxError(f"npm ci failed in sandbox/:\n{result.stdout}\n{result.stderr}")


class Sandbox:
    """A running sandbox server process."""

    url: str
    api_key: str
    pid: int

    def __init__(
        self, process: subprocess.Popen[bytes], url: str, api_key: str, stderr_fd: int
    ) -> None:
        self._process = process
        self.url = url
        self.api_key = api_key
        self.pid = process.pid
        self._stderr_fd = stderr_fd
        self._stopped = False

    # ------------------------------------------------------------ lifecycle

    @classmethod
    def start(cls, timeout: float = 20, port: int = 0) -> Sandbox:
        """Launch ``node sandbox/server.mjs --port <port>`` and wait until it is ready.

        ``port`` 0 (the default) picks a free port; a fixed port lets a test restart it there.

        The server prints its lines and then never writes to stdout again, so
        the pipe is closed once it is ready (no reader thread is left behind).
        Its stderr goes to an anonymous temporary file (see stderr_output()).
        """
        node = shutil.which("node")
        if node is None:
            raise SandboxError("node is not installed (Node.js 20+ is required)")
        _ensure_node_modules()
        stderr_fd, stderr_path = tempfile.mkstemp(prefix="seam-sandbox-", suffix=".log")
        os.unlink(stderr_path)
        env = {**os.environ, "NODE_ENV": "production"}
        env.pop("PORT", None)
        env.pop("SEAM_SANDBOX_PORT", None)
        try:
            process = subprocess.Popen(
                [node, str(SERVER_SCRIPT), "--port", str(port), "--exit-with-parent"],
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr_fd,
                process_group=0,
            )
        except OSError:
            os.close(stderr_fd)
            raise
        stdout = process.stdout
        if stdout is None:  # pragma: no cover - stdout=PIPE guarantees it
            raise SandboxError("no stdout pipe")

        seen: list[str] = []
        values: dict[str, str] = {}
        problem: str | None = None
        buffer = b""
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            while problem is None and READY_LINE not in seen:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    problem = f"did not print {READY_LINE} within {timeout} s"
                    break
                if not selector.select(timeout=remaining):
                    continue
                chunk = os.read(stdout.fileno(), 65536)
                if not chunk:
                    problem = f"exited early (exit code {process.wait()})"
                    break
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for raw in lines:
                    line = raw.decode("utf-8", "replace").rstrip("\r")
                    seen.append(line)
                    key, sep, value = line.partition("=")
                    if sep:
                        values[key] = value
        stdout.close()

        if problem is None and ("SEAM_API_URL" not in values or "SEAM_API_KEY" not in values):
            problem = "printed READY without SEAM_API_URL / SEAM_API_KEY"
        if problem is not None:
            _kill(process)
            stderr = _read_all(stderr_fd)
            os.close(stderr_fd)
            raise SandboxError(
                f"Seam sandbox {problem}.\n--- stdout ---\n"
                + "\n".join(seen)
                + f"\n--- stderr ---\n{stderr}"
            )
        return cls(process, values["SEAM_API_URL"], values["SEAM_API_KEY"], stderr_fd)

    def stop(self) -> None:
        """SIGTERM the server, wait up to 5 s, then SIGKILL it."""
        if self._stopped:
            return
        self._stopped = True
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        try:
            self._process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            _kill(self._process)
        os.close(self._stderr_fd)

    @property
    def running(self) -> bool:
        return not self._stopped and self._process.poll() is None

    def stderr_output(self) -> str:
        """What the server wrote to stderr so far (never request bodies)."""
        if self._stopped:
            return ""
        return _read_all(self._stderr_fd)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------ control API

    def control_url(self, path: str) -> str:
        return f"{self.url}/_sandbox/{path.lstrip('/')}"

    async def control(
        self,
        path: str,
        payload: dict[str, Any] | None = None,
        *,
        session: aiohttp.ClientSession | None = None,
    ) -> Any:
        """POST ``payload`` (or GET when it is None) to ``/_sandbox/<path>``."""
        if session is None:
            async with aiohttp.ClientSession() as own_session:
                return await self._control(own_session, path, payload)
        return await self._control(session, path, payload)

    async def _control(
        self, session: aiohttp.ClientSession, path: str, payload: dict[str, Any] | None
    ) -> Any:
        url = self.control_url(path)
        timeout = aiohttp.ClientTimeout(total=CONTROL_TIMEOUT)
        if payload is None:
            request = session.get(url, timeout=timeout)
        else:
            request = session.post(url, json=payload, timeout=timeout)
        async with request as response:
            text = await response.text()
            if response.status >= 400:
                raise SandboxError(f"{response.method} {url} -> {response.status}: {text}")
            return json.loads(text) if text else None

    def control_sync(self, path: str, payload: dict[str, Any] | None = None) -> Any:
        """Blocking ``control`` (http.client), for use outside an event loop."""
        parsed = urllib.parse.urlsplit(self.url)
        connection = http.client.HTTPConnection(
            parsed.hostname or "127.0.0.1", parsed.port, timeout=CONTROL_TIMEOUT
        )
        target = f"/_sandbox/{path.lstrip('/')}"
        try:
            if payload is None:
                connection.request("GET", target)
            else:
                connection.request(
                    "POST",
                    target,
                    body=json.dumps(payload).encode(),
                    headers={"Content-Type": "application/json"},
                )
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        if response.status >= 400:
            method = "GET" if payload is None else "POST"
            raise SandboxError(f"{method} {self.url}{target} -> {response.status}: {text}")
        return json.loads(text) if text else None

    async def action_attempt(self, action_attempt_id: str) -> dict[str, Any]:
        """Read an action attempt through the Seam API (``action_attempts/get``)."""
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{self.url}/action_attempts/get",
                json={"action_attempt_id": action_attempt_id},
                headers={"Authorization": f"Bearer {self.api_key}"},
                timeout=aiohttp.ClientTimeout(total=CONTROL_TIMEOUT),
            ) as response,
        ):
            body: dict[str, Any] = await response.json()
        attempt: dict[str, Any] = body["action_attempt"]
        return attempt

    async def reset(self, *, session: aiohttp.ClientSession | None = None) -> dict[str, Any]:
        """Back to the seeded state; clears faults, config and request counts."""
        result: dict[str, Any] = await self.control("reset", {}, session=session)
        return result

    async def state(self, *, session: aiohttp.ClientSession | None = None) -> dict[str, Any]:
        """Seeded ids: workspace_id, api_key, salto_device_ids, offline_device_id, ..."""
        result: dict[str, Any] = await self.control("state", session=session)
        return result

    async def update_device(
        self, device_id: str, *, session: aiohttp.ClientSession | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Merge top-level fields and ``properties={...}`` into a device; returns it."""
        result = await self.control(
            "devices/update", {"device_id": device_id, **fields}, session=session
        )
        device: dict[str, Any] = result["device"]
        return device

    async def add_devices(
        self, count: int = 1, *, session: aiohttp.ClientSession | None = None, **kw: Any
    ) -> list[str]:
        """Add ``count`` devices (default salto_lock); returns their ids."""
        result = await self.control("devices/add", {"count": count, **kw}, session=session)
        device_ids: list[str] = result["device_ids"]
        return device_ids

    async def remove_device(
        self, device_id: str, *, session: aiohttp.ClientSession | None = None
    ) -> None:
        await self.control("devices/remove", {"device_id": device_id}, session=session)

    async def add_event(
        self,
        device_id: str | None,
        event_type: str,
        *,
        session: aiohttp.ClientSession | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Create an event that events/list returns; returns the event."""
        payload: dict[str, Any] = {"event_type": event_type, **extra}
        if device_id is not None:
            payload["device_id"] = device_id
        result = await self.control("events/add", payload, session=session)
        event: dict[str, Any] = result["event"]
        return event

    async def add_events(
        self,
        device_id: str,
        event_type: str,
        count: int,
        *,
        session: aiohttp.ClientSession | None = None,
        **extra: Any,
    ) -> list[str]:
        """Create ``count`` events 1 ms apart (the last now); return their ids, oldest first."""
        payload = {"event_type": event_type, "device_id": device_id, "count": count, **extra}
        result = await self.control("events/add", payload, session=session)
        return [str(event_id) for event_id in result["event_ids"]]

    async def set_config(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        **config: float | bool | str | None,
    ) -> dict[str, Any]:
        """E.g. ``set_config(salto_code_delay_s=0, action_attempt_delay_s=0.5)``."""
        result: dict[str, Any] = await self.control("config", dict(config), session=session)
        return result

    async def update_connected_account(
        self,
        connected_account_id: str,
        *,
        session: aiohttp.ClientSession | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Set a connected account's ``errors`` and/or ``warnings``; returns the account."""
        result = await self.control(
            "connected_accounts/update",
            {"connected_account_id": connected_account_id, **fields},
            session=session,
        )
        account: dict[str, Any] = result["connected_account"]
        return account

    async def advance_clock(
        self, seconds: float, *, session: aiohttp.ClientSession | None = None
    ) -> str:
        """Move the sandbox clock forward (access code schedules); return its new time."""
        result = await self.control("clock/advance", {"seconds": seconds}, session=session)
        return str(result["now"])

    async def set_unlock_behavior(
        self,
        device_id: str,
        relock_after_s: float | str | None,
        *,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        """Per lock: relock after N s, never report unlocked (None), or "stays" unlocked."""
        await self.control(
            "devices/unlock_behavior",
            {"device_id": device_id, "relock_after_s": relock_after_s},
            session=session,
        )

    async def add_unmanaged_code(
        self, device_id: str, name: str, *, session: aiohttp.ClientSession | None = None
    ) -> str:
        """Add a code made outside Seam (unmanaged); return its access_code_id."""
        result = await self.control(
            "access_codes/add_unmanaged", {"device_id": device_id, "name": name}, session=session
        )
        return str(result["access_code_id"])

    async def fault(
        self,
        route: str,
        kind: str,
        *,
        session: aiohttp.ClientSession | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        """Inject a fault: kind in outage, delay, malformed, unauthorized,
        rate_limit, drop, attempt_error, attempt_pending; kw: count,
        retry_after, delay_s, error_type, message."""
        result = await self.control("faults", {"route": route, "kind": kind, **kw}, session=session)
        fault: dict[str, Any] = result["fault"]
        return fault

    async def clear_faults(self, *, session: aiohttp.ClientSession | None = None) -> None:
        await self.control("faults/clear", {}, session=session)

    async def requests(self, *, session: aiohttp.ClientSession | None = None) -> dict[str, int]:
        """API requests per route since the last reset_requests()."""
        result: dict[str, int] = await self.control("requests", session=session)
        return result

    async def reset_requests(self, *, session: aiohttp.ClientSession | None = None) -> None:
        await self.control("requests/reset", {}, session=session)

    async def door(
        self,
        device_id: str,
        action: str = "unlock",
        *,
        method: str = "manual",
        session: aiohttp.ClientSession | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """A change made at the door: the lock's state changes and Seam emits lock.<action>ed."""
        result: dict[str, Any] = await self.control(
            "devices/door",
            {"device_id": device_id, "action": action, "method": method, **fields},
            session=session,
        )
        return result["event"]  # type: ignore[no-any-return]

    async def webhooks(self, *, session: aiohttp.ClientSession | None = None) -> list[Any]:
        """Every webhook registered at the sandbox (all workspaces), with its secret."""
        result: dict[str, Any] = await self.control("webhooks", session=session)
        return result["webhooks"]  # type: ignore[no-any-return]

    async def webhook_deliveries(
        self, *, session: aiohttp.ClientSession | None = None
    ) -> dict[str, Any]:
        """Delivery attempts so far ({deliveries: [...], in_flight, held})."""
        result: dict[str, Any] = await self.control("webhooks/deliveries", session=session)
        return result

    async def webhook_fault(
        self,
        kind: str,
        *,
        count: int | None = 1,
        delay_s: float | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        """drop / delay / duplicate / reorder / bad_signature / fail the next ``count`` messages."""
        payload: dict[str, Any] = {"kind": kind, "count": count}
        if delay_s is not None:
            payload["delay_s"] = delay_s
        await self.control("webhooks/faults", payload, session=session)

    async def clear_webhook_faults(self, *, session: aiohttp.ClientSession | None = None) -> None:
        """Stop webhook faults and send held (reordered) messages."""
        await self.control("webhooks/faults/clear", {}, session=session)


def _read_all(fd: int) -> str:
    chunks: list[bytes] = []
    offset = 0
    while chunk := os.pread(fd, 65536, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks).decode("utf-8", "replace")


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_TIMEOUT)
