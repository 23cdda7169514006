"""scripts/develop as a user runs it: in a terminal, restarted from Home Assistant, ended by Ctrl-C.

Also the walkthroughs in it: adding Seam (push reaches this Home Assistant on whatever port it
listens), and "try guest codes in two minutes" (the demo booking calendar, the guest-code
blueprint, a PIN delivered as a notification).

The script runs in a pseudo-terminal (its controlling terminal, so Ctrl-C is the terminal's SIGINT
to the foreground process group), with free ports and a temporary config folder.
"""

from collections.abc import Iterator
import contextlib
import json
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any
import urllib.request

import aiohttp
import pytest

from tests.hass_process import ROOT, HassProcess, free_port, wait_for

pytestmark = pytest.mark.timeout(300)

BANNER_END = "Ctrl-C stops Home Assistant and the sandbox.\n" + "=" * 80 + "\n"
SANDBOX_KEY = "seam_apikey1_token"
LOCK = "salto_lock_front_door"

# Make the pseudo-terminal the controlling terminal of the new session, then become scripts/develop.
TAKE_TERMINAL = (
    "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


def session_processes(session: int) -> dict[int, str]:
    """The live (not zombie) processes of a session: PID -> command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == session and fields[0] != "Z":
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
                found[int(entry.name)] = cmdline.decode(errors="replace")
    return found


class Develop:
    """One run of scripts/develop in a pseudo-terminal; the screen is read continuously."""

    def __init__(
        self, config_dir: Path, hass_port: int, sandbox_port: int, *args: str, port_flag: bool
    ) -> None:
        """Start the script (its own session, the pty as controlling terminal).

        Home Assistant's port is given as `--port N` (`port_flag`) or in HASS_PORT.
        """
        self.hass_port = hass_port
        self.sandbox_url = f"http://127.0.0.1:{sandbox_port}"
        master, slave = os.openpty()
        self.master = master
        env = {
            **os.environ,
            "SEAM_DEV_CONFIG_DIR": str(config_dir),
            "SEAM_SANDBOX_PORT": str(sandbox_port),
        }
        if port_flag:
            args = ("--port", str(hass_port), *args)
            env.pop("HASS_PORT", None)
        else:
            env["HASS_PORT"] = str(hass_port)
        self.process = subprocess.Popen(
            [sys.executable, "-c", TAKE_TERMINAL, str(ROOT / "scripts" / "develop"), *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            env=env,
        )
        os.close(slave)
        self._screen = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        with contextlib.suppress(OSError):  # EIO once every writer of the terminal is gone
            while chunk := os.read(self.master, 65536):
                self._screen += chunk

    @property
    def screen(self) -> str:
        """Everything written to the terminal so far."""
        return bytes(self._screen).decode(errors="replace").replace("\r\n", "\n")

    async def wait_for_screen(self, text: str, count: int = 1, seconds: float = 150) -> None:
        """Wait until `text` has been printed `count` times."""

        async def printed() -> bool:
            assert self.process.poll() is None, f"scripts/develop exited:\n{self.screen}"
            return self.screen.count(text) >= count

        try:
            await wait_for(f"{text!r} #{count}", printed, seconds)
        except AssertionError as err:
            raise AssertionError(f"{err}\n{self.screen[-4000:]}") from None

    async def wait_for_banner(self, count: int = 1) -> None:
        """Wait until the banner has been printed `count` times."""
        await self.wait_for_screen(BANNER_END, count)

    def processes(self) -> dict[int, str]:
        """The script and everything it started (they stay in its session)."""
        return session_processes(self.process.pid)

    def pid_of(self, marker: str) -> int:
        """The PID of the one process whose command line contains `marker`."""
        [pid] = [pid for pid, cmd in self.processes().items() if marker in cmd]
        return pid

    def ctrl_c(self) -> float:
        """Type Ctrl-C; return how long until every process of the session is gone."""
        start = time.monotonic()
        os.write(self.master, b"\x03")
        while time.monotonic() - start < 15:
            self.process.poll()
            if not self.processes():
                return time.monotonic() - start
            time.sleep(0.1)
        raise AssertionError(f"still running after Ctrl-C: {self.processes()}\n{self.screen}")

    def close(self) -> None:
        """Kill whatever is left, by PID, and close the terminal."""
        for pid in self.processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        self._reader.join(5)
        os.close(self.master)

    def seam(self, path: str, payload: dict[str, Any] | None) -> Any:
        """Call the sandbox's Seam API with its key (or its control API: /_sandbox/...)."""
        request = urllib.request.Request(  # noqa: S310 - loopback sandbox
            self.sandbox_url + path,
            data=None if payload is None else json.dumps(payload).encode(),
            headers={"Authorization": f"Bearer {SANDBOX_KEY}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.load(response)

    def codes(self) -> dict[str, dict[str, Any]]:
        """The access codes on the front door lock by name."""
        codes = self.seam("/access_codes/list", {"device_id": LOCK})["access_codes"]
        return {code["name"]: code for code in codes}

    def code_names(self) -> dict[str, str]:
        """The access codes on the front door lock: name -> status."""
        return {name: code["status"] for name, code in self.codes().items()}


async def log_in(
    hass: HassProcess, http: aiohttp.ClientSession, username: str, password: str
) -> None:
    """Log in through Home Assistant's login flow, as the login page does; keep the token."""
    async with http.post(
        f"{hass.url}/auth/login_flow",
        json={
            "client_id": hass.client_id,
            "handler": ["homeassistant", None],
            "redirect_uri": hass.client_id,
        },
    ) as resp:
        flow = await resp.json()
    async with http.post(
        f"{hass.url}/auth/login_flow/{flow['flow_id']}",
        json={"client_id": hass.client_id, "username": username, "password": password},
    ) as resp:
        result = await resp.json()
        assert result["type"] == "create_entry", result
    async with http.post(
        f"{hass.url}/auth/token",
        data={
            "grant_type": "authorization_code",
            "code": result["result"],
            "client_id": hass.client_id,
        },
    ) as resp:
        hass.token = (await resp.json())["access_token"]


@pytest.fixture
def run_develop(tmp_path: Path, socket_enabled: None) -> Iterator[Any]:
    """Start scripts/develop runs on free ports in one temporary config folder; clean up by PID."""
    runs: list[Develop] = []
    hass_port, sandbox_port = free_port(), free_port()

    def start(*args: str, port_flag: bool = False) -> Develop:
        run = Develop(tmp_path / "config", hass_port, sandbox_port, *args, port_flag=port_flag)
        runs.append(run)
        return run

    try:
        yield start
    finally:
        for run in runs:
            run.close()


UNCLEAN_SHUTDOWN = ("was shutdown cleanly", "Ended unfinished session")
NEXT_ADD = "Next: Settings -> Devices & services -> Add integration -> Seam."
SET_UP = 'Seam is set up: "My Workspace (sandbox)"'
PIN_TITLE = "Guest code for Ada Lovelace"


async def _push_reaches_home_assistant(develop: Develop, hass: HassProcess, http: Any) -> None:
    """A change at the sandbox's front door shows in Home Assistant by push, without a poll."""
    port = develop.hass_port
    [webhook] = develop.seam("/_sandbox/webhooks", None)["webhooks"]
    assert webhook["url"].startswith(f"http://127.0.0.1:{port}/api/webhook/"), webhook["url"]

    async def front_door() -> str:
        return str((await hass.api(http, "GET", "/api/states/lock.front_door"))["state"])

    await wait_for("the front door lock", front_door)
    assert await front_door() == "locked"
    polls_before = develop.seam("/_sandbox/requests", None).get("/devices/list")
    develop.seam("/_sandbox/devices/door", {"device_id": LOCK, "action": "unlock"})

    async def unlocked() -> bool:
        return await front_door() == "unlocked"

    await wait_for("the pushed unlock", unlocked, 20)
    assert develop.seam("/_sandbox/requests", None).get("/devices/list") == polls_before


async def _guest_codes_walkthrough(develop: Develop, hass: HassProcess, http: Any) -> None:
    """Docs "Try guest codes in two minutes": Run actions on the demo automation; the demo
    calendar's current guest gets a code on the Front Door and her PIN arrives as a notification;
    the guest checking in within the lead time gets a code whose PIN comes at check-in (the
    sandbox's clock moved there), also as a notification; the other bookings get none."""
    demo = {"entity_id": "automation.demo_guest_codes"}
    await hass.api(http, "POST", "/api/services/automation/trigger", demo)

    async def pin_notification() -> dict[str, Any] | None:
        notifications = await hass.websocket(http, {"type": "persistent_notification/get"})
        return next((n for n in notifications if n["title"] == PIN_TITLE), None)

    notification = await wait_for("the PIN notification", pin_notification, 60)
    codes = {name.split("] ", 1)[1]: code for name, code in develop.codes().items() if "] " in name}
    assert set(codes) == {"Ada Lovelace", "Grace Hopper"}
    pin = codes["Ada Lovelace"]["code"]
    assert pin
    assert notification["message"].startswith(f"Your code for Front Door is {pin}, valid from ")
    assert codes["Grace Hopper"]["code"] is None  # Salto KS: at check-in

    # Grace's check-in, by the sandbox's clock: her PIN arrives by push, then as a notification.
    develop.seam("/_sandbox/clock/advance", {"seconds": 4 * 3600})

    async def grace_notification() -> dict[str, Any] | None:
        notifications = await hass.websocket(http, {"type": "persistent_notification/get"})
        title = "Guest code for Grace Hopper"
        return next((n for n in notifications if n["title"] == title), None)

    notification = await wait_for("Grace's PIN notification", grace_notification, 30)
    [grace] = [code for name, code in develop.codes().items() if name.endswith("] Grace Hopper")]
    assert grace["code"]
    assert notification["message"].startswith(f"Your code for Front Door is {grace['code']}, ")


async def test_develop_on_a_chosen_port_push_guest_codes_restart_and_clean_stop(
    run_develop: Any, tmp_path: Path
) -> None:
    """Banner last and no error before it; adding Seam, push reaches this port; the guest-code
    walkthrough ends in a PIN notification; a restart keeps port and sandbox; Ctrl-C ends all
    and lets Home Assistant stop cleanly: the next start finds its database closed properly."""
    develop: Develop = run_develop(port_flag=True)
    await develop.wait_for_banner()
    before_banner = develop.screen.split(BANNER_END)[0]
    assert "ERROR" not in before_banner, before_banner
    assert "Traceback" not in before_banner, before_banner
    assert develop.screen.endswith(BANNER_END), "the banner is the last thing on the screen"
    assert f"Home Assistant: http://127.0.0.1:{develop.hass_port}   (log in as dev / seam-dev)" in (
        develop.screen
    )
    assert NEXT_ADD in develop.screen
    assert SET_UP not in develop.screen
    hass = HassProcess(tmp_path / "config", develop.hass_port, develop.process)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        # Onboarding is finished, without its location step (which sets up integrations that fail
        # here): the browser shows the login page, where the printed account works.
        async with http.get(f"{hass.url}/api/onboarding") as resp:
            assert all(step["done"] for step in await resp.json())
        await log_in(hass, http, "dev", "seam-dev")
        entries = await hass.api(http, "GET", "/api/config/config_entries/entry")
        assert {entry["domain"] for entry in entries} <= {"analytics", "backup"}
        config = await hass.api(http, "GET", "/api/config")
        assert {"history", "logbook", "calendar", "automation"} <= set(config["components"])
        assert not {"met", "radio_browser", "google_translate"} & set(config["components"])
        # The demo booking calendar and the blueprint's automation are there before Seam is.
        assert (await hass.api(http, "GET", "/api/states/automation.demo_guest_codes"))[
            "state"
        ] == "on"
        await hass.api(http, "GET", "/api/states/calendar.demo_bookings")

        await hass.add_seam_entry(http, develop.sandbox_url, SANDBOX_KEY)
        await _push_reaches_home_assistant(develop, hass, http)
        await _guest_codes_walkthrough(develop, hass, http)

        # An access code in the sandbox, then a restart asked of Home Assistant.
        develop.seam("/access_codes/create", {"device_id": LOCK, "name": "Kept code"})
        sandbox_pid = develop.pid_of("sandbox/server.mjs")
        hass_pid = develop.pid_of("--skip-pip")
        await hass.api(http, "POST", "/api/services/homeassistant/restart", {})
        await develop.wait_for_banner(count=2)
        restart = develop.screen.split("Home Assistant asked for a restart")[1]
        assert "ERROR" not in restart, restart
        assert "Traceback" not in restart, restart
        assert "(log in as dev / seam-dev)" in restart
        assert SET_UP in restart
        assert NEXT_ADD not in restart

        config = await hass.api(http, "GET", "/api/config")  # same port, same owner token
        assert config["state"] == "RUNNING"
    assert develop.pid_of("--skip-pip") != hass_pid
    assert develop.pid_of("sandbox/server.mjs") == sandbox_pid
    assert develop.code_names()["Kept code"] == "set"

    assert develop.ctrl_c() < 10
    assert "==> stopped" in develop.screen

    # The next start: no unclean shutdown found, the sandbox's codes kept, Seam still set up.
    second: Develop = run_develop(port_flag=True)
    await second.wait_for_banner()
    for message in UNCLEAN_SHUTDOWN:
        assert message not in second.screen, second.screen
    assert SET_UP in second.screen
    assert second.code_names()["Kept code"] == "set"
    assert second.ctrl_c() < 10


async def test_fresh_resets_the_sandbox(run_develop: Any) -> None:
    """--fresh starts the sandbox from its seed (a code made in a run before is gone).

    Each run is stopped while Home Assistant is still starting: that stops both too.
    """
    sandbox_started = "==> starting Home Assistant on"
    first: Develop = run_develop()
    await first.wait_for_screen(sandbox_started)
    first.seam("/access_codes/create", {"device_id": LOCK, "name": "Kept code"})

    async def assigned() -> bool:
        return first.code_names() == {"Kept code": "set"}

    await wait_for("the code to be set", assigned, 10)
    assert first.ctrl_c() < 10

    fresh: Develop = run_develop("--fresh")
    await fresh.wait_for_screen(sandbox_started)
    assert "==> --fresh: the sandbox starts from its seed" in fresh.screen
    assert fresh.code_names() == {}
    assert fresh.ctrl_c() < 10


def test_a_port_in_use_is_refused_with_a_clear_message(
    tmp_path: Path, socket_enabled: None
) -> None:
    """--port N on a taken port: scripts/develop says so and starts nothing."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(ROOT / "scripts" / "develop"), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "SEAM_DEV_CONFIG_DIR": str(tmp_path / "config")},
            check=False,
        )
    assert result.returncode == 1
    assert f"Port {port} on 127.0.0.1 is in use: choose another with --port N" in result.stderr
    assert "starting" not in result.stdout
