"""The Seam integration: Seam-connected smart locks (Salto KS first) in Home Assistant."""

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from . import websocket_api
from .card import async_setup_card
from .const import CONF_POLL_INTERVAL, DOMAIN
from .coordinator import SeamConfigEntry, SeamCoordinator
from .issues import async_update_issues
from .services import async_setup_services
from .webhook import async_remove_push

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.EVENT,
    Platform.LOCK,
    Platform.SENSOR,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the Seam integration (actions, websocket commands and the card: here, once)."""
    async_setup_services(hass)
    websocket_api.async_setup(hass)
    await async_setup_card(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SeamConfigEntry) -> bool:
    """Set up Seam from a config entry."""
    coordinator = SeamCoordinator(hass, entry)
    await coordinator.async_config_entry_first_refresh()
    # Push once the key has worked (a refused key is re-authentication, not a push problem);
    # before the entities exist, so that polling starts at push's interval.
    entry.async_on_unload(coordinator.push.async_stop)
    await coordinator.push.async_start()
    coordinator.async_update_poll_interval()
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: SeamConfigEntry) -> bool:
    """Unload a config entry; its Seam webhook is deleted (``async_on_unload``)."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_migrate_entry(hass: HomeAssistant, entry: SeamConfigEntry) -> bool:
    """Version 1.2: the user-set polling interval is gone (Seam pushes; polling is fixed).

    Home Assistant itself refuses entries of a newer major version (no downgrade).
    """
    if entry.minor_version < 2:
        options = {k: v for k, v in entry.options.items() if k != CONF_POLL_INTERVAL}
        hass.config_entries.async_update_entry(entry, options=options, minor_version=2)
    return True


async def async_remove_entry(hass: HomeAssistant, entry: SeamConfigEntry) -> None:
    """Delete the repair issues, the Seam webhook and the cloudhook of a removed entry."""
    async_update_issues(hass, entry, ())
    await async_remove_push(hass, entry)


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
