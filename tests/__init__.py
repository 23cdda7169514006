"""Tests for the Seam integration."""

from datetime import timedelta
import html
import re

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from yarl import URL


async def setup_integration(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add the entry to Home Assistant and set it up."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def async_refresh(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Poll Seam now (the entry's coordinator refreshes) and let the entities update."""
    await entry.runtime_data.async_refresh()
    await hass.async_block_till_done()


async def async_poll(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float = 30
) -> None:
    """Let ``seconds`` pass, so that a scheduled poll runs if one is due."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def sign_in_on_webview(url: str, *, password: str = "1234") -> str:
    """Sign in on the sandbox's Connect Webview page like a user would; return the result page.

    The sandbox's user is jane@example.com / 1234; a successful sign-in's page has ``id="success"``.
    """
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            assert response.status == 200
            page = await response.text()
        action = re.search(r'<form method="post" action="([^"]+)"', page)
        assert action is not None, page
        form = {
            name: html.unescape(value)
            for name, value in re.findall(
                r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page
            )
        }
        form |= {"email": "jane@example.com", "password": password}
        post_url = response.url.join(URL(html.unescape(action.group(1))))
        async with session.post(post_url, data=form) as response:
            assert response.status == 200, await response.text()
            return await response.text()
