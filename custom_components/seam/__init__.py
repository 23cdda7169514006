"""The Seam integration: Seam-connected smart locks (Salto KS first) in Home Assistant."""

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN
from .coordinator import SeamConfigEntry, SeamCoordinator
from .issues import async_update_issues
from .services import async_setup_services

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.EVENT,
    Platform.LOCK,
    Platform.SENSOR,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the Seam integration (actions are registered here, once)."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SeamConfigEntry) -> bool:
    """Set up Seam from a config entry."""
    coordinator = SeamCoordinator(hass, entry)
    await coordinator.async_config_entry_first_refresh()
    workspace = coordinator.workspace
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, workspace.workspace_id)},
        name=workspace.name,
        manufacturer="Seam",
        entry_type=dr.DeviceEntryType.SERVICE,
    )
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: SeamConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: SeamConfigEntry) -> None:
    """Delete the repair issues of a removed config entry."""
    async_update_issues(hass, entry, ())


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: SeamConfigEntry, device_entry: dr.DeviceEntry
) -> bool:
    """Let the user delete a lock Seam no longer reports (not a current lock or the workspace).

    While the entry is not loaded (e.g. setup retries) no lock is known to be current: a lock
    deleted then comes back with its entities at the next setup if Seam still reports it.
    """
    current = entry.runtime_data.data if entry.state is ConfigEntryState.LOADED else {}
    return not any(
        domain == DOMAIN and (identifier in current or identifier == entry.unique_id)
        for domain, identifier in device_entry.identifiers
    )
