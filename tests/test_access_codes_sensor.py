"""The access codes sensor of each lock: the number of codes and each code without its PIN."""

from datetime import timedelta
import json
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.seam.const import DOMAIN
from tests import async_poll
from tests.sandbox import Sandbox

AUGUST = "august_device_1"
SALTO = "salto_lock_front_door"


def _entity_id(hass: HomeAssistant, platform: str, device_id: str, key: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{device_id}-{key}")
    assert entity_id is not None
    return entity_id


async def _create(hass: HomeAssistant, lock: str, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "create_access_code",
        {ATTR_ENTITY_ID: lock, **data},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    created: dict[str, Any] = dict(response)[lock]
    return created


async def test_actions_update_the_sensor_at_once_and_never_show_a_pin(
    hass: HomeAssistant, sandbox: Sandbox, init_integration: MockConfigEntry
) -> None:
    """Create and delete change the count at once; the attributes describe codes, never PINs."""
    await sandbox.set_config(salto_code_delay_s=0)
    august_lock = _entity_id(hass, "lock", AUGUST, "lock")
    salto_lock = _entity_id(hass, "lock", SALTO, "lock")
    august_codes = _entity_id(hass, "sensor", AUGUST, "access_codes")
    salto_codes = _entity_id(hass, "sensor", SALTO, "access_codes")
    starts = dt_util.utcnow() + timedelta(days=1)
    chosen = await _create(
        hass,
        august_lock,
        name="Guest Alex",
        code="48213",
        starts_at=starts,
        ends_at=starts + timedelta(days=2),
    )
    generated = await _create(hass, salto_lock, name="Cleaner")
    assert generated["code"]

    august = hass.states.get(august_codes)
    assert august is not None
    assert august.state == "1"
    assert august.attributes["access_codes"] == [
        {
            "access_code_id": chosen["access_code_id"],
            "name": "Guest Alex",
            "type": "time_bound",
            "status": chosen["status"],
            "starts_at": chosen["starts_at"],
            "ends_at": chosen["ends_at"],
            "waiting_for_pin": False,
        }
    ]
    salto = hass.states.get(salto_codes)
    assert salto is not None
    assert salto.state == "1"
    [described] = salto.attributes["access_codes"]
    assert described["name"] == "Cleaner"
    assert described["type"] == "ongoing"
    for state, pin in ((august, "48213"), (salto, generated["code"])):
        shown = json.dumps({"state": state.state, "attributes": dict(state.attributes)})
        assert pin not in shown

    await hass.services.async_call(
        DOMAIN,
        "delete_access_code",
        {ATTR_ENTITY_ID: august_lock, "access_code_id": chosen["access_code_id"]},
        blocking=True,
    )
    august = hass.states.get(august_codes)
    assert august is not None
    assert august.state == "0"
    assert august.attributes["access_codes"] == []


async def test_polls_read_one_lock_after_another(
    hass: HomeAssistant,
    sandbox: Sandbox,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """Without news, each poll reads one lock's codes in turn; a code made at Seam shows at the
    next poll, which finds its event (push or not)."""
    coordinator = init_integration.runtime_data
    with_codes = [
        device_id for device_id, device in coordinator.data.items() if device.supports_access_codes
    ]
    for _ in with_codes:
        await sandbox.reset_requests()
        await async_poll(hass, freezer, 30)
        assert (await sandbox.requests())["/access_codes/list"] == 1
    # Every lock's codes were read once in as many polls as there are locks.
    assert set(coordinator.access_codes) == set(with_codes)
    sensor = _entity_id(hass, "sensor", AUGUST, "access_codes")
    assert hass.states.get(sensor).state == "0"
    read_at = hass.states.get(sensor).attributes["read_at"]

    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{sandbox.url}/access_codes/create",
            json={"device_id": AUGUST, "name": "Made at Seam", "code": "9090"},
            headers={"Authorization": f"Bearer {sandbox.api_key}"},
        ) as response,
    ):
        assert response.status == 200
    await async_poll(hass, freezer, 30)
    state = hass.states.get(sensor)
    assert state is not None
    assert state.state == "1"
    assert state.attributes["access_codes"][0]["name"] == "Made at Seam"
    assert state.attributes["read_at"] > read_at
    assert "9090" not in json.dumps(dict(state.attributes))


@pytest.mark.parametrize("pin_at_starts_at", [False, True])
async def test_waiting_code_made_before_a_restart_gets_its_pin_event(
    hass: HomeAssistant,
    sandbox: Sandbox,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    pin_at_starts_at: bool,
) -> None:
    """A future Salto code Home Assistant did not create (e.g. before a restart) is found in the
    polls, shown as waiting for its PIN, and seam_access_code_ready fires when the PIN comes:
    72 hours before its start (Seam's native scheduling, the sandbox's default), or at its
    start (the other plausible behaviour, ``salto_pin_at_starts_at``)."""
    await sandbox.set_config(salto_pin_at_starts_at=pin_at_starts_at)
    coordinator = init_integration.runtime_data
    starts = dt_util.utcnow() + timedelta(days=4)
    arrives = starts if pin_at_starts_at else starts - timedelta(hours=72)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{sandbox.url}/access_codes/create",
            json={
                "device_id": SALTO,
                "name": "Guest Kim",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(days=1)).isoformat(),
            },
            headers={"Authorization": f"Bearer {sandbox.api_key}"},
        ) as response,
    ):
        assert response.status == 200
        access_code_id = (await response.json())["access_code"]["access_code_id"]
    ready: list[dict[str, Any]] = []
    hass.bus.async_listen("seam_access_code_ready", lambda event: ready.append(dict(event.data)))
    sensor = _entity_id(hass, "sensor", SALTO, "access_codes")

    for _ in coordinator.data:  # every lock's turn comes once
        await async_poll(hass, freezer, 30)
    state = hass.states.get(sensor)
    assert state is not None
    [described] = state.attributes["access_codes"]
    assert described["waiting_for_pin"] is True
    assert access_code_id in coordinator.pending_codes

    sandbox_now = dt_util.parse_datetime(await sandbox.advance_clock(0))
    assert sandbox_now is not None
    await sandbox.advance_clock((arrives - sandbox_now).total_seconds() - 60)
    freezer.move_to(arrives - timedelta(seconds=60))
    await async_poll(hass, freezer, 30)
    assert ready == []  # not yet

    await sandbox.advance_clock(61)
    freezer.move_to(arrives + timedelta(seconds=1))
    await async_poll(hass, freezer, 30)

    [event] = ready
    assert event["access_code_id"] == access_code_id
    assert event["entity_id"] == _entity_id(hass, "lock", SALTO, "lock")
    assert event["name"] == "Guest Kim"
    assert "code" not in event  # the PIN is never in an event (the recorder stores events)
    lock = event["entity_id"]
    response = await hass.services.async_call(
        DOMAIN,
        "get_access_code",
        {"entity_id": lock, "access_code_id": access_code_id},
        blocking=True,
        return_response=True,
    )
    pin = response[lock]["code"]  # type: ignore[index]
    assert pin
    state = hass.states.get(sensor)
    assert state is not None
    assert state.attributes["access_codes"][0]["waiting_for_pin"] is False
    assert pin not in json.dumps(dict(state.attributes))
