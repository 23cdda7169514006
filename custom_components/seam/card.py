"""The "Manage access" dashboard card: served by the integration, added as a dashboard resource.

The card (``frontend/seam-access-card.js``, plain JavaScript, no build step) is served at
``CARD_URL``. When the dashboards keep their resources in storage (Home Assistant's default), the
integration adds it as a resource itself, with the file's hash in the URL so that browsers load
a new version after an update. With resources in YAML mode it cannot: it logs once how to add it.
"""

import hashlib
import logging
from pathlib import Path
from typing import Final

from homeassistant.components.http.server import StaticPathConfig
from homeassistant.core import HomeAssistant

_LOGGER = logging.getLogger(__name__)

CARD_DIR: Final = Path(__file__).parent / "frontend"
CARD_FILE: Final = "seam-access-card.js"
URL_BASE: Final = "/seam_frontend"
CARD_URL: Final = f"{URL_BASE}/{CARD_FILE}"


def _card_version() -> str:
    """Return the first 12 hex digits of the card file's SHA-256 (new with every version)."""
    return hashlib.sha256((CARD_DIR / CARD_FILE).read_bytes()).hexdigest()[:12]


async def async_setup_card(hass: HomeAssistant) -> None:
    """Serve the card and add it to the dashboards' resources (once, from async_setup)."""
    await hass.http.async_register_static_paths(
        # Cached by browsers: the resource URL changes with the file (?v=<hash>).
        [StaticPathConfig(URL_BASE, str(CARD_DIR), cache_headers=True)]
    )
    if "lovelace" not in hass.config.components:
        _LOGGER.debug("Dashboards are not set up: the card is served but not added as a resource")
        return
    url = f"{CARD_URL}?v={await hass.async_add_executor_job(_card_version)}"
    await _async_add_resource(hass, url)


async def _async_add_resource(hass: HomeAssistant, url: str) -> None:
    """Add (or update to this version) the card's dashboard resource, in storage mode."""
    from homeassistant.components.lovelace.const import (  # noqa: PLC0415 (after lovelace)
        CONF_RESOURCE_TYPE_WS,
        LOVELACE_DATA,
        MODE_STORAGE,
    )
    from homeassistant.components.lovelace.resources import (  # noqa: PLC0415
        ResourceStorageCollection,
    )

    lovelace = hass.data[LOVELACE_DATA]
    resources = lovelace.resources
    await resources.async_get_info()  # loads the stored resources
    ours = [item for item in resources.async_items() if item["url"].split("?")[0] == CARD_URL]
    if any(item["url"] == url for item in ours):
        return
    if lovelace.resource_mode != MODE_STORAGE or not isinstance(
        resources, ResourceStorageCollection
    ):
        if not ours:
            _LOGGER.warning(
                "The Seam access card cannot be added to your dashboards by itself: their "
                "resources are in YAML mode. Add it under lovelace: resources: in your "
                "configuration: - url: %s  type: module",
                CARD_URL,
            )
        return
    item = {CONF_RESOURCE_TYPE_WS: "module", "url": url}
    if ours:
        await resources.async_update_item(ours[0]["id"], item)
        _LOGGER.debug("Updated the Seam access card's dashboard resource to %s", url)
    else:
        await resources.async_create_item(item)
        _LOGGER.debug("Added the Seam access card to the dashboards' resources: %s", url)
