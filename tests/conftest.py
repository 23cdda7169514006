"""Shared fixtures: the local Seam sandbox (real HTTP) and a config entry pointing at it."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import PropertyMock, patch

from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.seam.const import CONF_API_URL, DOMAIN
from tests import contract, setup_integration
from tests.hass_process import HassProcess
from tests.sandbox import Sandbox

_CONTRACT_LOG = pytest.StashKey[Path]()
_CONTRACT_REPORT = pytest.StashKey[contract.ContractReport]()


def _is_xdist_worker(config: pytest.Config) -> bool:
    """Under pytest-xdist the controller owns the contract log; its workers inherit it."""
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    """Have every sandbox of the run check its exchanges against Seam's OpenAPI spec."""
    if not _is_xdist_worker(config):
        config.stash[_CONTRACT_LOG] = contract.start_log()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any request or response did not conform (tests/contract.py)."""
    if _is_xdist_worker(session.config):
        return
    report = contract.stop_log(session.config.stash[_CONTRACT_LOG])
    session.config.stash[_CONTRACT_REPORT] = report
    if report.violations and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print the contract check's result (and each violation) at the end of the run."""
    report = config.stash.get(_CONTRACT_REPORT, None)
    if report is None:
        return
    for line in report.lines():
        terminalreporter.write_line(line, red=bool(report.violations))


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components/."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Syrupy with Home Assistant's serializer, stored in tests/snapshots/ (as in core)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Sandbox]:
    """Start the local Seam sandbox once per test session; stop it by PID at the end."""
    server = Sandbox.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def sandbox(sandbox_server: Sandbox, socket_enabled: None) -> Sandbox:
    """The sandbox, reset to its seeded state (no faults, default delays) before the test.

    ``socket_enabled`` lets the test reach it over loopback HTTP (phcc blocks sockets).
    """
    await sandbox_server.reset()
    return sandbox_server


@pytest.fixture
async def sandbox_state(sandbox: Sandbox) -> dict[str, Any]:
    """Ids of the seeded workspace, accounts and devices."""
    state: dict[str, Any] = await sandbox.state()
    return state


@pytest.fixture
def mock_config_entry(sandbox: Sandbox, sandbox_state: dict[str, Any]) -> MockConfigEntry:
    """A config entry for the sandbox workspace (not yet added to Home Assistant)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Seam sandbox (sandbox)",
        unique_id=sandbox_state["workspace_id"],
        data={CONF_API_KEY: sandbox.api_key, CONF_API_URL: sandbox.url},
        minor_version=2,
    )


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Create entities that are disabled by default as enabled (phcc has no such fixture)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


@pytest.fixture
async def ha_url(hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator) -> str:
    """Home Assistant's HTTP app on a loopback port, set as its internal URL.

    The sandbox (a Seam test server on loopback) then delivers webhooks to it over real HTTP.
    Seam registers its routes (the webhook view, the card's file, websocket commands) first, as
    when a real Home Assistant starts: the test server, unlike Home Assistant's, freezes them.
    """
    assert await async_setup_component(hass, DOMAIN, {})
    client = await hass_client_no_auth()
    url = f"http://127.0.0.1:{client.port}"
    await hass.config.async_update(internal_url=url)
    return url


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The sandbox config entry, set up and loaded."""
    await setup_integration(hass, mock_config_entry)
    return mock_config_entry


@pytest.fixture
def hass_process(tmp_path: Path, socket_enabled: None) -> Iterator[HassProcess]:
    """A real Home Assistant server; stopped by PID also when the test fails."""
    server = HassProcess.start(tmp_path / "config")
    try:
        yield server
    finally:
        server.stop()
