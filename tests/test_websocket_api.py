"""The card's websocket API: live codes without PINs, the actions' own errors, admins only."""

from datetime import timedelta
import json
import logging
from typing import Any
from unittest.mock import MagicMock

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MockHAClientWebSocket,
    WebSocketGenerator,
)

from custom_components.seam import card
from custom_components.seam.card import CARD_URL
from custom_components.seam.const import DOMAIN
from custom_components.seam.seam_api import AccessCode
from custom_components.seam.websocket_api import code_state
from tests import setup_integration
from tests.sandbox import Sandbox

AUGUST = "lock.garage_entry"  # an August lock: chooses or accepts a PIN
SALTO = "lock.front_door"  # Salto KS: Salto assigns the PIN


class Client:
    """One websocket connection: send a command, read its answer or its subscription events."""

    def __init__(self, ws: MockHAClientWebSocket) -> None:
        self.ws = ws
        self.next_id = 1
        self.events: dict[int, list[Any]] = {}

    async def send(self, type_: str, **fields: Any) -> int:
        msg_id = self.next_id
        self.next_id += 1
        await self.ws.send_json({"id": msg_id, "type": type_, **fields})
        return msg_id

    async def receive(self, msg_id: int) -> dict[str, Any]:
        """The next message answering ``msg_id`` (events of other ids are kept)."""
        while True:
            msg: dict[str, Any] = await self.ws.receive_json(timeout=30)
            if msg["type"] == "event" and msg["id"] != msg_id:
                self.events.setdefault(msg["id"], []).append(msg["event"])
                continue
            assert msg["id"] == msg_id, msg
            return msg

    async def call(self, type_: str, **fields: Any) -> dict[str, Any]:
        """Send a command; return its result message (``success`` true or false)."""
        return await self.receive(await self.send(type_, **fields))

    async def event(self, msg_id: int) -> dict[str, Any]:
        if queued := self.events.get(msg_id):
            event: dict[str, Any] = queued.pop(0)
            return event
        msg = await self.receive(msg_id)
        assert msg["type"] == "event", msg
        return msg["event"]

    async def lock_until(self, msg_id: int, entity_id: str, check: Any) -> dict[str, Any]:
        """Read subscription events until ``entity_id``'s lock satisfies ``check``."""
        for _ in range(50):
            for lock in (await self.event(msg_id))["locks"]:
                if lock["entity_id"] == entity_id and check(lock):
                    return dict(lock)
        raise AssertionError(f"{entity_id} never satisfied the check")


@pytest.fixture
async def client(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, init_integration: MockConfigEntry
) -> Client:
    return Client(await hass_ws_client(hass))


async def _action_error(hass: HomeAssistant, service: str, **data: Any) -> HomeAssistantError:
    """The error the action raises for ``data`` (to compare the websocket's with)."""
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            DOMAIN, service, data, blocking=True, return_response=service == "create_access_code"
        )
    return raised.value


def _codes(lock: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {code["name"]: code for code in lock["codes"] or []}


async def test_subscribe_add_on_two_locks_edit_delete(
    hass: HomeAssistant, sandbox: Sandbox, client: Client
) -> None:
    """The card's whole path: locks and codes live, a code on two locks, its PINs, edit, delete."""
    await sandbox.set_config(salto_code_delay_s=0.2)
    sub = await client.send("seam/access_codes/subscribe", entity_ids=[SALTO, AUGUST])
    assert (await client.receive(sub))["success"]
    first = {lock["entity_id"]: lock for lock in (await client.event(sub))["locks"]}
    assert list(first) == [SALTO, AUGUST]
    assert first[SALTO]["name"] == "Front Door"
    assert first[SALTO]["is_salto"] is True
    assert first[SALTO]["can_choose_pin"] is False
    assert first[AUGUST]["can_choose_pin"] is True
    # Codes not read since the start (the first poll read one lock's) are read now.
    for entity_id, lock in first.items():
        if lock["codes"] is None:
            await client.lock_until(sub, entity_id, lambda lock: lock["codes"] == [])

    created = await client.call(
        "seam/access_codes/create", entity_ids=[SALTO, AUGUST], name="Guest Alex"
    )
    assert created["success"], created
    results = created["result"]["results"]
    salto_code = results[SALTO]["access_code"]
    assert salto_code["code"]
    assert salto_code["code"].isdigit()
    assert results[AUGUST]["access_code"]["code"]

    salto = await client.lock_until(sub, SALTO, lambda lock: "Guest Alex" in _codes(lock))
    shown = _codes(salto)["Guest Alex"]
    assert shown["has_pin"] is True
    assert shown["state"] in {"on_lock", "setting"}
    assert "code" not in shown
    pin = await client.call(
        "seam/access_codes/get", entity_id=SALTO, access_code_id=shown["access_code_id"]
    )
    assert pin["result"]["code"] == salto_code["code"]

    starts = (dt_util.now() + timedelta(days=2)).replace(microsecond=0)
    ends = starts + timedelta(days=3)
    updated = await client.call(
        "seam/access_codes/update",
        entity_id=SALTO,
        access_code_id=shown["access_code_id"],
        name="Guest Alex (late)",
        starts_at=starts.isoformat(),
        ends_at=ends.isoformat(),
    )
    assert updated == {"id": updated["id"], "type": "result", "success": True, "result": None}
    salto = await client.lock_until(sub, SALTO, lambda lock: "Guest Alex (late)" in _codes(lock))
    moved = _codes(salto)["Guest Alex (late)"]
    assert dt_util.parse_datetime(moved["starts_at"]) == starts
    assert dt_util.parse_datetime(moved["ends_at"]) == ends

    deleted = await client.call(
        "seam/access_codes/delete", entity_id=SALTO, access_code_id=shown["access_code_id"]
    )
    assert deleted["success"], deleted
    await client.lock_until(sub, SALTO, lambda lock: _codes(lock) == {})
    # No PIN ever travelled in the subscription.
    for event in client.events.get(sub, []):
        assert salto_code["code"] not in json.dumps(event)


async def test_salto_pin_pending_until_its_start(
    hass: HomeAssistant, sandbox: Sandbox, client: Client, init_integration: MockConfigEntry
) -> None:
    """A future Salto KS code is "pin_pending"; at its start the subscription shows its PIN."""
    sub = await client.send("seam/access_codes/subscribe", entity_ids=[SALTO])
    assert (await client.receive(sub))["success"]
    # Ten days ahead: no PIN yet, whether Salto assigns it at the start or up to 72 h before.
    starts = dt_util.utcnow() + timedelta(days=10)
    created = await client.call(
        "seam/access_codes/create",
        entity_ids=[SALTO],
        name="Kim",
        starts_at=starts.isoformat(),
        ends_at=(starts + timedelta(days=2)).isoformat(),
    )
    code = created["result"]["results"][SALTO]["access_code"]
    assert code["code"] is None
    lock = await client.lock_until(sub, SALTO, lambda lock: "Kim" in _codes(lock))
    assert _codes(lock)["Kim"]["state"] == "pin_pending"
    assert _codes(lock)["Kim"]["has_pin"] is False

    await sandbox.advance_clock((starts - dt_util.utcnow()).total_seconds() + 1)
    await init_integration.runtime_data.async_refresh()
    lock = await client.lock_until(sub, SALTO, lambda lock: _codes(lock)["Kim"]["has_pin"])
    assert _codes(lock)["Kim"]["state"] == "on_lock"
    got = await client.call(
        "seam/access_codes/get", entity_id=SALTO, access_code_id=code["access_code_id"]
    )
    assert got["result"]["code"].isdigit()


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"name": "  "}, "name_empty"),
        ({"name": "Kim", "starts_at": "2030-01-02 10:00"}, "schedule_incomplete"),
        (
            {"name": "Kim", "starts_at": "2030-01-02 10:00", "ends_at": "2030-01-01 10:00"},
            "end_before_start",
        ),
        (
            {"name": "Kim", "starts_at": "2020-01-01 10:00", "ends_at": "2020-01-02 10:00"},
            "end_in_past",
        ),
        ({"name": "Kim", "code": "12ab"}, "code_not_digits"),
    ],
)
async def test_create_bad_input_gets_the_actions_errors(
    hass: HomeAssistant, sandbox: Sandbox, client: Client, data: dict[str, Any], key: str
) -> None:
    """Each lock's error is the action's own translated error; nothing is created."""
    expected = await _action_error(hass, "create_access_code", entity_id=AUGUST, **data)
    assert expected.translation_key == key
    created = await client.call("seam/access_codes/create", entity_ids=[AUGUST], **data)
    assert created["success"], created
    error = created["result"]["results"][AUGUST]["error"]
    assert error == {
        "code": "service_validation_error",
        "message": str(expected),
        "translation_key": key,
        "translation_placeholders": expected.translation_placeholders or None,
    }
    listed = await hass.services.async_call(
        DOMAIN, "list_access_codes", {ATTR_ENTITY_ID: AUGUST}, blocking=True, return_response=True
    )
    assert listed == {AUGUST: {"access_codes": []}}


async def test_create_pin_on_salto_refused_other_lock_created(
    hass: HomeAssistant, client: Client
) -> None:
    """A chosen PIN on a Salto KS lock and another lock: Salto's refusal, the other's code."""
    expected = await _action_error(
        hass, "create_access_code", entity_id=SALTO, name="Kim", code="4821"
    )
    created = await client.call(
        "seam/access_codes/create", entity_ids=[SALTO, AUGUST], name="Kim", code="4821"
    )
    results = created["result"]["results"]
    assert results[SALTO]["error"]["message"] == str(expected)
    assert results[SALTO]["error"]["translation_key"] == "code_not_allowed_salto"
    assert results[AUGUST]["access_code"]["code"] == "4821"


async def test_malformed_and_unknown_input(
    hass: HomeAssistant, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    """Malformed messages: invalid_format; not a Seam lock or code: the translated errors."""
    caplog.set_level(logging.DEBUG)
    for fields in ({"name": "Kim"}, {"entity_ids": [], "name": "Kim"}, {"entity_ids": [AUGUST]}):
        answer = await client.call("seam/access_codes/create", code="97531", **fields)
        assert answer["success"] is False
        assert answer["error"]["code"] == "invalid_format", answer
    answer = await client.call(
        "seam/access_codes/create", entity_ids=[AUGUST], name="Kim", code=97531, extra=1
    )
    assert answer["error"]["code"] == "invalid_format"
    # A malformed create is not logged with its PIN.
    assert "97531" not in caplog.text

    answer = await client.call("seam/access_codes/create", entity_ids=["lock.nope"], name="Kim")
    assert answer["error"] == {
        "code": "service_validation_error",
        "message": "lock.nope is not a Seam lock with access codes",
        "translation_key": "not_a_seam_lock",
        "translation_domain": DOMAIN,
        "translation_placeholders": {"entity_id": "lock.nope"},
    }
    answer = await client.call("seam/access_codes/subscribe", entity_ids=["lock.nope"])
    assert answer["error"]["translation_key"] == "not_a_seam_lock"

    expected = await _action_error(
        hass, "delete_access_code", entity_id=AUGUST, access_code_id="nope"
    )
    for command in ("delete", "get", "update"):
        extra = {"name": "x"} if command == "update" else {}
        answer = await client.call(
            f"seam/access_codes/{command}", entity_id=AUGUST, access_code_id="nope", **extra
        )
        assert answer["error"]["code"] == "service_validation_error"
        assert answer["error"]["message"] == str(expected)
    expected = await _action_error(
        hass, "update_access_code", entity_id=AUGUST, access_code_id="nope"
    )
    answer = await client.call("seam/access_codes/update", entity_id=AUGUST, access_code_id="x")
    assert answer["error"]["message"] == str(expected)
    assert answer["error"]["translation_key"] == "update_nothing"


async def test_non_admin_refused(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
    init_integration: MockConfigEntry,
) -> None:
    """Every command needs an administrator: others get "unauthorized" and nothing else."""
    client = Client(await hass_ws_client(hass, hass_read_only_access_token))
    for command, fields in (
        ("subscribe", {}),
        ("create", {"entity_ids": [AUGUST], "name": "Kim"}),
        ("update", {"entity_id": AUGUST, "access_code_id": "x", "name": "y"}),
        ("delete", {"entity_id": AUGUST, "access_code_id": "x"}),
        ("get", {"entity_id": AUGUST, "access_code_id": "x"}),
    ):
        answer = await client.call(f"seam/access_codes/{command}", **fields)
        assert answer["success"] is False
        assert answer["error"]["code"] == "unauthorized", answer
    listed = await hass.services.async_call(
        DOMAIN, "list_access_codes", {ATTR_ENTITY_ID: AUGUST}, blocking=True, return_response=True
    )
    assert listed == {AUGUST: {"access_codes": []}}


async def test_card_served_and_added_as_resource(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    hass_client: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """With dashboards in storage mode the card becomes a resource by itself, once."""
    assert await async_setup_component(hass, "lovelace", {})
    await setup_integration(hass, mock_config_entry)
    ws = await hass_ws_client(hass)
    await ws.send_json({"id": 1, "type": "lovelace/resources"})
    resources = (await ws.receive_json())["result"]
    [ours] = [item for item in resources if item["url"].startswith(CARD_URL)]
    assert ours["type"] == "module"
    assert "?v=" in ours["url"]
    http = await hass_client()
    response = await http.get(ours["url"])
    assert response.status == 200
    assert "customElements.define" in await response.text()


async def test_card_yaml_resources_logged(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    """With resources in YAML mode, the log says how to add the card."""
    assert await async_setup_component(hass, "lovelace", {"lovelace": {"resource_mode": "yaml"}})
    await setup_integration(hass, mock_config_entry)
    assert f"- url: {CARD_URL}" in caplog.text
    assert "YAML mode" in caplog.text


def _access_code(**fields: Any) -> AccessCode:
    data = {"access_code_id": "c1", "device_id": "d1", "name": "Kim", "status": "set"}
    return AccessCode.from_api({**data, **fields})


NOW = dt_util.parse_datetime("2030-06-01T12:00:00+00:00")
LATER = "2030-06-03T12:00:00+00:00"
EARLIER = "2030-05-30T12:00:00+00:00"


@pytest.mark.parametrize(
    ("fields", "salto", "state"),
    [
        ({"code": "1234", "errors": [{"error_code": "x", "message": "Bad"}]}, False, "failed"),
        ({"code": "1234", "status": "removing"}, False, "removing"),
        ({"code": "1234", "starts_at": EARLIER, "ends_at": EARLIER}, False, "expired"),
        ({"status": "unset", "starts_at": LATER, "ends_at": LATER}, True, "pin_pending"),
        ({"status": "unset", "starts_at": LATER, "ends_at": LATER}, False, "scheduled"),
        ({"status": "setting", "code": "1234"}, False, "setting"),
        ({"status": "set"}, True, "setting"),  # its PIN comes within seconds
        ({"status": "set", "code": "1234"}, False, "on_lock"),
        ({"status": "unknown", "code": "1234"}, False, "unknown"),
    ],
)
def test_code_state(fields: dict[str, Any], salto: bool, state: str) -> None:
    """Each code's state in one word, as the card shows it."""
    device = MagicMock(is_salto=salto)
    assert NOW is not None
    assert code_state(_access_code(**fields), device, NOW) == state


async def test_subscribe_every_lock_offline_and_unread(
    hass: HomeAssistant, sandbox: Sandbox, client: Client, init_integration: MockConfigEntry
) -> None:
    """Without entity_ids: every Seam lock with codes; a lock going offline is sent again."""
    await sandbox.fault("access_codes/list", "outage", count=20)
    sub = await client.send("seam/access_codes/subscribe")
    assert (await client.receive(sub))["success"]
    first = (await client.event(sub))["locks"]
    assert [lock["entity_id"] for lock in first] == sorted(lock["entity_id"] for lock in first)
    assert {SALTO, AUGUST} <= {lock["entity_id"] for lock in first}
    # Codes that could not be read stay unknown (null), without an error.
    assert any(lock["codes"] is None for lock in first)
    await sandbox.clear_faults()

    await sandbox.update_device("salto_lock_front_door", properties={"online": False})
    await init_integration.runtime_data.async_refresh()
    lock = await client.lock_until(sub, SALTO, lambda lock: lock["online"] is False)
    assert lock["name"] == "Front Door"

    # Unsubscribed: nothing more is sent.
    answer = await client.call("unsubscribe_events", subscription=sub)
    assert answer["success"]
    await sandbox.update_device("salto_lock_front_door", properties={"online": True})
    await init_integration.runtime_data.async_refresh()
    await hass.async_block_till_done()
    pong = await client.call("ping")
    assert pong["type"] == "pong"


async def test_unloaded_entry_has_no_locks(
    hass: HomeAssistant, client: Client, init_integration: MockConfigEntry
) -> None:
    """The locks of an entry that is not loaded are not offered."""
    await hass.config_entries.async_unload(init_integration.entry_id)
    answer = await client.call("seam/access_codes/subscribe", entity_ids=[SALTO])
    assert answer["error"]["translation_key"] == "not_a_seam_lock"


async def test_card_resource_updated_to_the_new_version(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
) -> None:
    """An older version's resource is updated to this version's URL, not added twice."""
    hass_storage["lovelace_resources"] = {
        "version": 1,
        "key": "lovelace_resources",
        "data": {"items": [{"id": "old", "type": "module", "url": f"{CARD_URL}?v=old"}]},
    }
    assert await async_setup_component(hass, "lovelace", {})
    await setup_integration(hass, mock_config_entry)
    ws = await hass_ws_client(hass)
    await ws.send_json({"id": 1, "type": "lovelace/resources"})
    [ours] = (await ws.receive_json())["result"]
    assert ours["id"] == "old"
    assert ours["url"] != f"{CARD_URL}?v=old"
    assert ours["url"].startswith(f"{CARD_URL}?v=")


async def test_card_resource_already_current(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
) -> None:
    """After a restart with the same version, the resource is left as it is."""
    url = f"{CARD_URL}?v={card._card_version()}"
    hass_storage["lovelace_resources"] = {
        "version": 1,
        "key": "lovelace_resources",
        "data": {"items": [{"id": "mine", "type": "module", "url": url}]},
    }
    assert await async_setup_component(hass, "lovelace", {})
    await setup_integration(hass, mock_config_entry)
    ws = await hass_ws_client(hass)
    await ws.send_json({"id": 1, "type": "lovelace/resources"})
    assert (await ws.receive_json())["result"] == [{"id": "mine", "type": "module", "url": url}]


async def test_subscription_ends_when_the_entry_unloads(
    hass: HomeAssistant, client: Client, init_integration: MockConfigEntry
) -> None:
    """A reload ends the subscription (the card subscribes again); a new one works after it."""
    sub = await client.send("seam/access_codes/subscribe", entity_ids=[SALTO])
    assert (await client.receive(sub))["success"]
    assert (await client.event(sub))["locks"][0]["entity_id"] == SALTO
    other = await client.send("seam/access_codes/subscribe", entity_ids=[SALTO])
    assert (await client.receive(other))["success"]
    await client.call("unsubscribe_events", subscription=other)

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    events = [await client.event(sub)]
    while events[-1] != {"locks": [], "ended": True}:
        assert len(events) < 10, events
        events.append(await client.event(sub))

    again = await client.send("seam/access_codes/subscribe", entity_ids=[SALTO])
    assert (await client.receive(again))["success"]
    assert (await client.event(again))["locks"][0]["entity_id"] == SALTO
    # The unsubscribed one said nothing (messages arrive in order: it would be before this).
    assert {"locks": [], "ended": True} not in client.events.get(other, [])
