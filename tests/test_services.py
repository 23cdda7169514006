"""Tests for the access code actions, against the local Seam sandbox over real HTTP."""

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
import json
import logging
from pathlib import Path
import re
from typing import Any
from unittest.mock import ANY, AsyncMock, patch

import aiohttp
from homeassistant.auth.const import GROUP_ID_ADMIN, GROUP_ID_READ_ONLY, GROUP_ID_USER
from homeassistant.const import ATTR_ENTITY_ID, EVENT_LOGGING_CHANGED
from homeassistant.core import Context, HomeAssistant, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import probatio
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_mock_service,
)
import yaml

from custom_components.seam import services
from custom_components.seam.const import DOMAIN
from custom_components.seam.seam_api import (
    AccessCode,
    SeamClient,
    SeamConnectionError,
    SeamInvalidInputError,
    SeamIssue,
)
from tests import async_refresh, setup_integration
from tests.sandbox import Sandbox

WRITE_ROUTES = ("/access_codes/create", "/access_codes/update", "/access_codes/delete")
SALTO = "salto_lock_front_door"
OFFLINE = "salto_lock_back_office"
SMALL_LIMIT = "salto_lock_meeting_room"  # max_active_codes_supported: 2
AUGUST = "august_device_1"  # reports no supported code lengths: any length is accepted
SCHLAGE = "schlage_device_id"  # codes of 4-8 digits (Seam's Schlage example)
PATIO = "august_device_2"  # codes of 4-8 digits, names of 1-12 characters (Seam's sample)
# Salto KS PINs have 6 to 10 digits (Seam's Salto KS guide).
PIN_RE = re.compile(r"^\d{6,10}$")

type LockId = Callable[[str], str]


@pytest.fixture(autouse=True)
def fast_polling() -> Iterator[None]:
    """Poll for an assigned PIN every 50 ms (the wait itself stays 30 s unless a test says).

    After a lost create answer, look for the code at once.
    """
    with (
        patch.object(services, "CODE_POLL_INTERVAL", 0.05),
        patch.object(services, "RECOVERY_DELAY", 0),
    ):
        yield


@pytest.fixture
def lock_id(hass: HomeAssistant, init_integration: MockConfigEntry) -> LockId:
    """With the sandbox entry set up: the entity id of a Seam device's lock entity."""
    registry = er.async_get(hass)

    def _lock_id(device_id: str) -> str:
        entity_id = registry.async_get_entity_id("lock", DOMAIN, f"{device_id}-lock")
        assert entity_id is not None, device_id
        return entity_id

    return _lock_id


async def _call(
    hass: HomeAssistant, action: str, entity_id: str | list[str], **data: Any
) -> dict[str, Any] | None:
    """Call a Seam action on lock(s); return its response when the action gives one."""
    return_response = action not in {"update_access_code", "delete_access_code"}
    response = await hass.services.async_call(
        DOMAIN,
        action,
        {ATTR_ENTITY_ID: entity_id, **data},
        blocking=True,
        return_response=return_response,
    )
    return dict(response) if response is not None else None


async def _codes(hass: HomeAssistant, entity_id: str) -> list[dict[str, Any]]:
    """The lock's access codes, as list_access_codes answers them."""
    response = await _call(hass, "list_access_codes", entity_id)
    assert response is not None
    codes: list[dict[str, Any]] = response[entity_id]["access_codes"]
    return codes


async def _writes(sandbox: Sandbox) -> dict[str, int]:
    """Write requests the sandbox received since the last reset_requests()."""
    counts = await sandbox.requests()
    return {route: counts[route] for route in WRITE_ROUTES if route in counts}


async def test_actions_registered_and_described(hass: HomeAssistant) -> None:
    """The actions exist without a config entry; every field has a name and each action an icon."""
    assert await async_setup_component(hass, DOMAIN, {})
    component = Path(services.__file__).parent
    described = yaml.safe_load((component / "services.yaml").read_text(encoding="utf-8"))
    strings = json.loads((component / "strings.json").read_text(encoding="utf-8"))["services"]
    icons = json.loads((component / "icons.json").read_text(encoding="utf-8"))["services"]

    assert set(hass.services.async_services_for_domain(DOMAIN)) == set(described)
    assert set(strings) == set(described) == set(icons)
    for action, description in described.items():
        assert strings[action]["name"]
        assert strings[action]["description"]
        fields = description.get("fields", {})
        assert set(strings[action].get("fields", {})) == set(fields), action
        assert all(
            field["name"] and field["description"]
            for field in strings[action].get("fields", {}).values()
        )


# --------------------------------------------------------------------------------------------
# Create
# --------------------------------------------------------------------------------------------


async def test_create_ongoing_salto_code_waits_for_pin(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """Salto assigns the PIN within the wait: the response has it, and list shows it."""
    await sandbox.set_config(salto_code_delay_s=0.3)
    entity_id = lock_id(SALTO)

    response = await _call(hass, "create_access_code", entity_id, name="  Cleaner  ")

    assert response == {
        entity_id: {
            "access_code_id": ANY,
            "name": "Cleaner",
            "type": "ongoing",
            "status": "set",
            "code": ANY,
            "starts_at": None,
            "ends_at": None,
            "is_waiting_for_code_assignment": False,
            "errors": [],
            "warnings": [],
            "recovered": False,
            "lock_offline": False,
        }
    }
    created = response[entity_id]
    assert PIN_RE.match(created["code"])
    listed = await _codes(hass, entity_id)
    assert listed == [{k: v for k, v in created.items() if k not in {"recovered", "lock_offline"}}]
    assert (await sandbox.requests())["/access_codes/create"] == 1


async def test_create_time_bound_code_local_times(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """Naive times are in HA's time zone; Seam gets UTC; the response has ISO strings.

    A Salto KS code that starts in the future gets its PIN only at its start: the action
    answers at once (no pointless wait) with code null and the waiting flag.
    """
    await hass.config.async_set_time_zone("Europe/Berlin")
    await sandbox.set_config(salto_code_delay_s=0)
    entity_id = lock_id(SALTO)

    response = await _call(
        hass,
        "create_access_code",
        entity_id,
        name="Guest",
        starts_at="2030-07-01 15:00:00",
        ends_at="2030-07-03T11:00:00+00:00",
    )

    assert response is not None
    created = response[entity_id]
    assert created["type"] == "time_bound"
    assert created["status"] == "unset"  # not yet active
    assert created["starts_at"] == "2030-07-01T13:00:00+00:00"
    assert created["ends_at"] == "2030-07-03T11:00:00+00:00"
    assert created["code"] is None
    assert created["is_waiting_for_code_assignment"] is True
    assert "/access_codes/get" not in await sandbox.requests()


async def test_create_salto_pin_slower_than_wait(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """Salto takes longer than the wait: code null and the waiting flag, not an error."""
    await sandbox.set_config(salto_code_delay_s=5)
    entity_id = lock_id(SALTO)

    with patch.object(services, "CODE_WAIT_TIMEOUT", 0.3):
        response = await _call(hass, "create_access_code", entity_id, name="Guest")

    assert response is not None
    created = response[entity_id]
    assert created["code"] is None
    assert created["is_waiting_for_code_assignment"] is True
    assert created["status"] == "setting"
    assert (await sandbox.requests())["/access_codes/get"] >= 2


async def test_create_without_waiting(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """wait_for_code: false answers at once, without polling the code."""
    await sandbox.set_config(salto_code_delay_s=0.2)
    entity_id = lock_id(SALTO)

    response = await _call(hass, "create_access_code", entity_id, name="Guest", wait_for_code=False)

    assert response is not None
    assert response[entity_id]["code"] is None
    assert response[entity_id]["is_waiting_for_code_assignment"] is True
    assert "/access_codes/get" not in await sandbox.requests()


async def test_create_poll_failure_returns_code_without_pin(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """If polling the new code fails, the action still reports the created code."""
    await sandbox.set_config(salto_code_delay_s=0.2)
    await sandbox.fault("/access_codes/get", "outage")
    entity_id = lock_id(SALTO)

    response = await _call(hass, "create_access_code", entity_id, name="Guest")

    assert response is not None
    assert response[entity_id]["code"] is None
    assert response[entity_id]["is_waiting_for_code_assignment"] is True
    assert (await sandbox.requests())["/access_codes/get"] == 1
    assert len(await _codes(hass, entity_id)) == 1


async def test_create_custom_code_without_response(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """A custom code on a non-Salto lock; the action also works without asking for a response."""
    entity_id = lock_id(AUGUST)

    assert (
        await hass.services.async_call(
            DOMAIN,
            "create_access_code",
            {ATTR_ENTITY_ID: entity_id, "name": "Dog walker", "code": 48213},
            blocking=True,
        )
        is None
    )
    # An empty code (e.g. from a template) lets the lock choose one.
    await _call(hass, "create_access_code", entity_id, name="Chosen", code="")

    walker, chosen = await _codes(hass, entity_id)
    assert walker["name"] == "Dog walker"
    assert walker["code"] == "48213"
    assert walker["type"] == "ongoing"
    assert chosen["name"] == "Chosen"
    assert re.match(r"^\d{4}$", chosen["code"])


async def test_waiting_for_pin_does_not_hold_up_locks(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """While a create waits for Salto's PIN, other locks still lock and unlock at once."""
    await sandbox.set_config(salto_code_delay_s=2)
    create = hass.async_create_task(_call(hass, "create_access_code", lock_id(SALTO), name="Guest"))
    await asyncio.sleep(0.3)

    await hass.services.async_call(
        "lock", "unlock", {ATTR_ENTITY_ID: lock_id(AUGUST)}, blocking=True
    )

    assert not create.done()
    assert (await sandbox.requests())["/locks/unlock_door"] == 1
    response = await create
    assert response is not None
    assert PIN_RE.match(response[lock_id(SALTO)]["code"])


# --------------------------------------------------------------------------------------------
# List, update, delete
# --------------------------------------------------------------------------------------------


async def test_list_filters_by_lock(hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId) -> None:
    """Each lock lists only its own codes; several locks answer keyed by entity id."""
    august, schlage = lock_id(AUGUST), lock_id(SCHLAGE)
    await _call(hass, "create_access_code", august, name="A1", code="1111")
    await _call(hass, "create_access_code", august, name="A2", code="2222")
    await _call(hass, "create_access_code", schlage, name="S1", code="3333")

    response = await _call(hass, "list_access_codes", [august, schlage, lock_id(SALTO)])

    assert response is not None
    names = {entity: [c["name"] for c in r["access_codes"]] for entity, r in response.items()}
    assert names == {august: ["A1", "A2"], schlage: ["S1"], lock_id(SALTO): []}


async def test_update_name_and_schedule(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """Rename, then move only the end: the start is kept."""
    await sandbox.set_config(salto_code_delay_s=0)
    entity_id = lock_id(SALTO)
    response = await _call(
        hass,
        "create_access_code",
        entity_id,
        name="Guest",
        starts_at="2030-07-01T13:00:00+00:00",
        ends_at="2030-07-03T11:00:00+00:00",
    )
    assert response is not None
    code_id = response[entity_id]["access_code_id"]

    await _call(hass, "update_access_code", entity_id, access_code_id=code_id, name="Guest Alex")
    await _call(
        hass,
        "update_access_code",
        entity_id,
        access_code_id=code_id,
        ends_at="2030-07-04T11:00:00+00:00",
    )

    [listed] = await _codes(hass, entity_id)
    assert listed["name"] == "Guest Alex"
    assert listed["starts_at"] == "2030-07-01T13:00:00+00:00"
    assert listed["ends_at"] == "2030-07-04T11:00:00+00:00"
    assert listed["code"] == response[entity_id]["code"]
    assert (await sandbox.requests())["/access_codes/update"] == 2


async def test_delete(hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId) -> None:
    """Delete waits for Seam's action attempt; the code is gone afterwards."""
    entity_id = lock_id(AUGUST)
    await _call(hass, "create_access_code", entity_id, name="Keep", code="1111")
    response = await _call(hass, "create_access_code", entity_id, name="Gone", code="2222")
    assert response is not None

    await _call(
        hass,
        "delete_access_code",
        entity_id,
        access_code_id=response[entity_id]["access_code_id"],
    )

    assert [c["name"] for c in await _codes(hass, entity_id)] == ["Keep"]
    assert (await sandbox.requests())["/action_attempts/get"] >= 1


async def test_list_without_pins(hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId) -> None:
    """``include_pins: false`` lists the same codes, without a PIN anywhere in the response."""
    august = lock_id(AUGUST)
    await _call(hass, "create_access_code", august, name="Cleaner", code="2580")

    response = await _call(hass, "list_access_codes", august, include_pins=False)

    assert response is not None
    [listed] = response[august]["access_codes"]
    [full] = await _codes(hass, august)
    assert full["code"] == "2580"
    assert listed == {key: value for key, value in full.items() if key != "code"}
    assert "2580" not in repr(response)


async def test_get_access_code(hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId) -> None:
    """One code as list answers it: no PIN while Salto has not assigned it, then the PIN.

    A code of another lock, or an unknown id, is refused without showing anything.
    """
    salto, august = lock_id(SALTO), lock_id(AUGUST)
    created = await _call(
        hass, "create_access_code", salto, name="Later", starts_at=FUTURE, ends_at=LATER
    )
    assert created is not None
    code_id = created[salto]["access_code_id"]

    waiting = await _call(hass, "get_access_code", salto, access_code_id=code_id)
    assert waiting is not None
    assert waiting[salto] == (await _codes(hass, salto))[0]
    assert waiting[salto]["code"] is None
    assert waiting[salto]["is_waiting_for_code_assignment"] is True

    await sandbox.advance_clock(
        (dt_util.parse_datetime(FUTURE) - dt_util.utcnow()).total_seconds() + 1  # type: ignore[operator]
    )
    assigned = await _call(hass, "get_access_code", salto, access_code_id=code_id)
    assert assigned is not None
    assert PIN_RE.match(assigned[salto]["code"])
    assert assigned[salto] == (await _codes(hass, salto))[0]

    for entity_id, access_code_id in ((august, code_id), (salto, "no-such-code")):
        with pytest.raises(ServiceValidationError) as err:
            await _call(hass, "get_access_code", entity_id, access_code_id=access_code_id)
        assert err.value.translation_key == "access_code_not_on_lock"
        assert assigned[salto]["code"] not in str(err.value)
    await sandbox.fault("/access_codes/get", "outage", count=1)
    with pytest.raises(HomeAssistantError) as failure:
        await _call(hass, "get_access_code", salto, access_code_id=code_id)
    assert failure.value.translation_key == "seam_unavailable"


async def _call_as(
    hass: HomeAssistant, user_id: str | None, action: str, entity_id: str, **data: Any
) -> None:
    """Call a Seam action on a lock as a user (None: as an automation does, without a user)."""
    await hass.services.async_call(
        DOMAIN,
        action,
        {ATTR_ENTITY_ID: entity_id, **data},
        blocking=True,
        context=Context(user_id=user_id),
        return_response=hass.services.supports_response(DOMAIN, action)
        is not SupportsResponse.NONE,
    )


@pytest.mark.parametrize("group", [GROUP_ID_USER, GROUP_ID_READ_ONLY])
async def test_code_actions_refuse_non_admin_users(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId, group: str
) -> None:
    """A user who is not an administrator gets Unauthorized from every code action.

    Nothing is read or changed at Seam. Lock and unlock stay ordinary entity actions.
    """
    user = MockUser(groups=[await hass.auth.async_get_group(group)]).add_to_hass(hass)
    entity_id = lock_id(AUGUST)
    created = await _call(hass, "create_access_code", entity_id, name="Guest", code="4821")
    assert created is not None
    code_id = created[entity_id]["access_code_id"]
    actions = {
        "create_access_code": {"name": "Intruder"},
        "get_access_code": {"access_code_id": code_id},
        "list_access_codes": {},
        "update_access_code": {"access_code_id": code_id, "name": "Changed"},
        "delete_access_code": {"access_code_id": code_id},
        "delete_expired_access_codes": {},
    }
    assert set(actions) == set(hass.services.async_services_for_domain(DOMAIN))
    await sandbox.reset_requests()

    for action, data in actions.items():
        with pytest.raises(Unauthorized):
            await _call_as(hass, user.id, action, entity_id, **data)

    assert not [route for route in await sandbox.requests() if "access_codes" in route]
    [code] = await _codes(hass, entity_id)
    assert (code["name"], code["code"]) == ("Guest", "4821")
    if group == GROUP_ID_USER:
        await hass.services.async_call(
            "lock", "lock", {ATTR_ENTITY_ID: entity_id}, blocking=True, context=Context(user.id)
        )
        # A script the user starts runs as that user.
        script = {
            "sequence": [
                {"action": "seam.delete_expired_access_codes", "target": {"entity_id": entity_id}}
            ]
        }
        assert await async_setup_component(hass, "script", {"script": {"clean": script}})
        with pytest.raises(Unauthorized):
            await hass.services.async_call(
                "script", "clean", blocking=True, context=Context(user.id)
            )


@pytest.mark.parametrize("admin", [True, False])
async def test_code_actions_for_administrators_and_automations(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId, admin: bool
) -> None:
    """An administrator may call every code action; so may an automation (it has no user).

    The automation runs when a user who is not an administrator fires its trigger.
    """
    entity_id = lock_id(AUGUST)
    admin_user = MockUser(groups=[await hass.auth.async_get_group(GROUP_ID_ADMIN)])
    user = MockUser(groups=[await hass.auth.async_get_group(GROUP_ID_USER)])
    admin_user.add_to_hass(hass)
    user.add_to_hass(hass)
    if admin:
        await _call_as(hass, admin_user.id, "create_access_code", entity_id, name="By admin")
    else:
        sent = async_mock_service(hass, "notify", "guest")
        automation = {
            "triggers": [{"trigger": "event", "event_type": "guest_arrives"}],
            "actions": [
                {
                    "action": "seam.create_access_code",
                    "target": {"entity_id": entity_id},
                    "data": {"name": "By automation"},
                    "response_variable": "created",
                },
                {
                    "action": "seam.get_access_code",
                    "target": {"entity_id": entity_id},
                    "data": {"access_code_id": f"{{{{ created['{entity_id}'].access_code_id }}}}"},
                    "response_variable": "read",
                },
                {
                    "action": "notify.guest",
                    "data": {"message": f"{{{{ read['{entity_id}'].code }}}}"},
                },
            ],
        }
        assert await async_setup_component(hass, "automation", {"automation": [automation]})
        hass.bus.async_fire("guest_arrives", context=Context(user_id=user.id))
        await hass.async_block_till_done()
    [code] = await _codes(hass, entity_id)
    assert code["name"] == ("By admin" if admin else "By automation")
    if not admin:
        assert [str(call.data["message"]) for call in sent] == [code["code"]]
    code_id = code["access_code_id"]
    caller = admin_user.id if admin else None
    for action, data in (
        ("get_access_code", {"access_code_id": code_id}),
        ("list_access_codes", {}),
        ("update_access_code", {"access_code_id": code_id, "name": "Renamed"}),
        ("delete_expired_access_codes", {}),
        ("delete_access_code", {"access_code_id": code_id}),
    ):
        await _call_as(hass, caller, action, entity_id, **data)
    assert await _codes(hass, entity_id) == []


def _readme_yaml(heading: str) -> Any:
    """The first YAML block after a README heading (the README's example, as users copy it)."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index(heading) :]
    block = section[section.index("```yaml\n") + len("```yaml\n") :]
    return yaml.safe_load(block[: block.index("```")])


@pytest.mark.parametrize(
    ("booking", "window"),
    [
        (
            {
                "summary": "Alex " + "x" * 80,
                "start": "2030-12-24",
                "end": "2030-12-27",
                "all_day": True,
            },
            "valid Tue 24 Dec 15:00 to Fri 27 Dec 11:00.",
        ),
        (
            {
                "summary": "Sam",
                "start": "2030-12-24T17:30:00+01:00",
                "end": "2030-12-25T09:00:00+01:00",
                "all_day": False,
            },
            "valid Tue 24 Dec 17:30 to Wed 25 Dec 09:00.",
        ),
    ],
)
async def test_readme_guest_code_automation(
    *,
    hass: HomeAssistant,
    sandbox: Sandbox,
    lock_id: LockId,
    init_integration: MockConfigEntry,
    booking: dict[str, Any],
    window: str,
) -> None:
    """The README's booking automations, end to end with the sandbox's clock.

    The code starts years ahead, so Salto KS has no PIN for it yet: the create answers at
    once without one and nothing is sent. When the sandbox's clock passes the code's start
    (Seam loads it with its PIN 72 hours before), the next poll sees the PIN and fires
    seam_access_code_ready, and the second automation sends that PIN. The PIN never reaches a
    state or the log.
    """
    await hass.config.async_set_time_zone("Europe/Berlin")
    await sandbox.set_config(salto_code_delay_s=0.1)
    assert lock_id(SALTO) == "lock.front_door"
    notifications = async_mock_service(hass, "notify", "mobile_app_my_phone")
    create, send_pin = _readme_yaml("### A time-bound guest code for each booking")["automation"]
    script = {"guest_code": {"sequence": create["actions"]}}
    assert await async_setup_component(hass, "script", {"script": script})
    assert await async_setup_component(hass, "automation", {"automation": [send_pin]})

    await hass.services.async_call("script", "guest_code", {"booking": booking}, blocking=True)

    [code] = await _codes(hass, "lock.front_door")
    assert code["name"] == f"Guest: {booking['summary'][:57]}"
    assert code["code"] is None
    assert code["status"] == "unset"
    assert notifications == []

    # A poll before the start: still no PIN, no event.
    coordinator = init_integration.runtime_data
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert notifications == []

    starts_at = dt_util.parse_datetime(code["starts_at"])
    assert starts_at is not None
    await sandbox.advance_clock((starts_at - dt_util.utcnow()).total_seconds() + 1)
    await coordinator.async_refresh()
    await hass.async_block_till_done()

    [assigned] = await _codes(hass, "lock.front_door")
    assert PIN_RE.match(assigned["code"])
    assert assigned["status"] == "set"
    [notification] = notifications
    assert notification.data["title"] == f"Door code for {booking['summary'][:57]}"
    assert " ".join(notification.data["message"].split()) == f"PIN {assigned['code']}, {window}"
    # Seen once: a later poll fires nothing more.
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert len(notifications) == 1
    assert all(assigned["code"] not in str(state.as_dict()) for state in hass.states.async_all())


async def test_readme_guest_code_automation_pin_at_once(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """A booking on a lock that takes a PIN at once: the first automation sends it."""
    await hass.config.async_set_time_zone("Europe/Berlin")
    notifications = async_mock_service(hass, "notify", "mobile_app_my_phone")
    create, _ = _readme_yaml("### A time-bound guest code for each booking")["automation"]
    create["actions"][0]["target"]["entity_id"] = lock_id(AUGUST)
    create["actions"][1]["variables"]["guest_code"] = f"{{{{ created['{lock_id(AUGUST)}'] }}}}"
    script = {"guest_code": {"sequence": create["actions"]}}
    assert await async_setup_component(hass, "script", {"script": script})
    booking = {"summary": "Kim", "start": "2030-12-24", "end": "2030-12-27", "all_day": True}

    await hass.services.async_call("script", "guest_code", {"booking": booking}, blocking=True)

    [code] = await _codes(hass, lock_id(AUGUST))
    [notification] = notifications
    assert " ".join(notification.data["message"].split()) == (
        f"PIN {code['code']}, valid Tue 24 Dec 15:00 to Fri 27 Dec 11:00."
    )


EXPIRED_CODES_AUTOMATION = """
alias: "Delete expired access codes"
triggers:
  - trigger: time
    at: "03:00:00"
actions:
  - action: seam.delete_expired_access_codes
    target:
      entity_id: all
"""


async def _create_expired_codes(sandbox: Sandbox, expired_codes: str = "fail_removal") -> None:
    """Create two expired time-bound codes and a current one straight at Seam.

    (The create action refuses an end in the past.) Seam deletes an ended code by itself
    (lifecycle-of-access-codes.mdx); the codes that stay are those whose removal failed
    (``fail_removal``: status removing, error failed_to_remove_from_device) or, after the
    change that page announces, every ended code (``keep``).
    """
    await sandbox.set_config(expired_codes=expired_codes)
    now = dt_util.utcnow()
    async with aiohttp.ClientSession() as session:
        for device_id, name, ends_at in (
            (SALTO, "Expired", now - timedelta(hours=1)),
            (AUGUST, "Expired too", now - timedelta(days=2)),
            (AUGUST, "Current", now + timedelta(days=1)),
        ):
            async with session.post(
                f"{sandbox.url}/access_codes/create",
                json={
                    "device_id": device_id,
                    "name": name,
                    "starts_at": (ends_at - timedelta(days=3)).isoformat(),
                    "ends_at": ends_at.isoformat(),
                },
                headers={"Authorization": f"Bearer {sandbox.api_key}"},
            ) as response:
                assert response.status == 200


@pytest.mark.parametrize("expected_lingering_timers", [True])  # the 03:00 time trigger
async def test_readme_delete_expired_codes_automation(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """The README's nightly clean-up deletes exactly the codes whose end has passed."""
    await _create_expired_codes(sandbox)
    await _august_code(hass, lock_id(AUGUST), name="Ongoing", code="1111")
    automation = yaml.safe_load(EXPIRED_CODES_AUTOMATION)
    assert await async_setup_component(hass, "automation", {"automation": [automation]})

    await hass.services.async_call(
        "automation", "trigger", {ATTR_ENTITY_ID: "automation.delete_expired_access_codes"}
    )
    await hass.async_block_till_done()

    assert await _codes(hass, lock_id(SALTO)) == []
    assert [c["name"] for c in await _codes(hass, lock_id(AUGUST))] == ["Current", "Ongoing"]
    assert (await sandbox.requests())["/access_codes/delete"] == 2


@pytest.mark.parametrize("expired_codes", ["fail_removal", "keep"])
async def test_delete_expired_answers_what_it_deleted(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId, expired_codes: str
) -> None:
    """The response lists each lock's deleted codes, without a PIN; a lock without any: []."""
    await _create_expired_codes(sandbox, expired_codes)
    salto, august, schlage = lock_id(SALTO), lock_id(AUGUST), lock_id(SCHLAGE)

    response = await _call(hass, "delete_expired_access_codes", [salto, august, schlage])

    assert response is not None
    deleted = {entity: [c["name"] for c in r["deleted"]] for entity, r in response.items()}
    assert deleted == {salto: ["Expired"], august: ["Expired too"], schlage: []}
    [expired] = response[august]["deleted"]
    assert "code" not in expired
    if expired_codes == "fail_removal":
        assert expired["status"] == "removing"
        assert expired["errors"] == ["failed_to_remove_from_device"]
    assert expired["type"] == "time_bound"
    assert dt_util.parse_datetime(expired["ends_at"]) < dt_util.utcnow()
    assert [c["name"] for c in await _codes(hass, august)] == ["Current"]


async def test_delete_expired_failure_names_the_code(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """A deletion Seam refuses fails the action with the code's name and Seam's reason."""
    await _create_expired_codes(sandbox, "keep")
    await sandbox.fault(
        "/access_codes/delete", "attempt_error", error_type="failed", message="lock busy"
    )

    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "delete_expired_access_codes", lock_id(AUGUST))

    assert err.value.translation_key == "delete_expired_failed"
    assert "Expired too" in str(err.value)
    assert "lock busy" in str(err.value)
    assert [c["name"] for c in await _codes(hass, lock_id(AUGUST))] == ["Expired too", "Current"]


# --------------------------------------------------------------------------------------------
# Bad input: a translated ServiceValidationError, and nothing changes at Seam
# --------------------------------------------------------------------------------------------

FUTURE = "2030-01-02T10:00:00+00:00"
LATER = "2030-01-03T10:00:00+00:00"


@pytest.mark.parametrize(
    ("device_id", "data", "key", "message"),
    [
        (SALTO, {"name": ""}, "name_empty", "must not be empty"),
        (SALTO, {"name": "   "}, "name_empty", None),
        (SALTO, {"name": "G", "starts_at": FUTURE}, "schedule_incomplete", None),
        (SALTO, {"name": "G", "ends_at": FUTURE}, "schedule_incomplete", None),
        (
            SALTO,
            {"name": "G", "starts_at": LATER, "ends_at": FUTURE},
            "end_before_start",
            "must be after the start time",
        ),
        (SALTO, {"name": "G", "starts_at": FUTURE, "ends_at": FUTURE}, "end_before_start", None),
        (
            SALTO,
            {"name": "G", "starts_at": "2020-01-01 10:00", "ends_at": "2020-01-02 10:00"},
            "end_in_past",
            "is in the past",
        ),
        (SALTO, {"name": "G", "code": "123456"}, "code_not_allowed_salto", "Front Door is a Salto"),
        (AUGUST, {"name": "G", "code": "12a4"}, "code_not_digits", "digits only"),
        # The seeded locks' real code requirements (sandbox/lib/seed-names.mjs).
        (SCHLAGE, {"name": "G", "code": "123"}, "code_length_unsupported", "4, 5, 6, 7, 8 digits"),
        (PATIO, {"name": "Guest Kimberly Smith"}, "name_invalid", "1 to 12 characters"),
        (PATIO, {"name": "G", "code": "123"}, "code_length_unsupported", "4, 5, 6, 7, 8 digits"),
        (PATIO, {"name": "G", "code": "123456789"}, "code_length_unsupported", None),
        (AUGUST, {"name": "G", "code": "\uff11\uff12\uff13\uff14"}, "code_not_digits", None),
        # The August lock reports no lengths: the spec's 4 to 12 digits (found by the fuzzer).
        (AUGUST, {"name": "G", "code": "123"}, "code_length_invalid", "4 to 12 digits"),
        (AUGUST, {"name": "G", "code": "1234567890123"}, "code_length_invalid", None),
    ],
)
async def test_create_validation(
    *,
    hass: HomeAssistant,
    sandbox: Sandbox,
    lock_id: LockId,
    device_id: str,
    data: dict[str, Any],
    key: str,
    message: str | None,
) -> None:
    """Each bad create is refused with a translated error before any write to Seam."""
    entity_id = lock_id(device_id)
    await sandbox.reset_requests()

    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "create_access_code", entity_id, **data)

    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    if message is not None:
        assert message in str(err.value)
    assert await _writes(sandbox) == {}
    assert await _codes(hass, entity_id) == []


async def test_create_unsupported_code_length(
    hass: HomeAssistant, sandbox: Sandbox, mock_config_entry: MockConfigEntry
) -> None:
    """A lock that reports its code lengths refuses others."""
    await sandbox.update_device(AUGUST, properties={"supported_code_lengths": [4, 6]})
    await setup_integration(hass, mock_config_entry)
    entity_id = er.async_get(hass).async_get_entity_id("lock", DOMAIN, f"{AUGUST}-lock")
    assert entity_id is not None
    await sandbox.reset_requests()

    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "create_access_code", entity_id, name="G", code="12345")

    assert err.value.translation_key == "code_length_unsupported"
    assert "these lengths only: 4, 6 digits" in str(err.value)
    assert await _writes(sandbox) == {}

    await _call(hass, "create_access_code", entity_id, name="G", code="123456")
    assert [c["code"] for c in await _codes(hass, entity_id)] == ["123456"]


async def test_create_max_codes_reached(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """A lock at its max_active_codes_supported refuses another code."""
    entity_id = lock_id(SMALL_LIMIT)
    for name in ("One", "Two"):
        await _call(hass, "create_access_code", entity_id, name=name, wait_for_code=False)
    await sandbox.reset_requests()

    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "create_access_code", entity_id, name="Three")

    assert err.value.translation_key == "max_codes_reached"
    assert "Meeting Room already has 2 access codes, the most it supports (2)" in str(err.value)
    assert await _writes(sandbox) == {}
    assert len(await _codes(hass, entity_id)) == 2


@pytest.mark.parametrize(
    "data",
    [
        {},  # name missing
        {"name": "G", "wait_for_code": "perhaps"},
        {"name": "G", "starts_at": "next tuesday", "ends_at": FUTURE},
        {"name": "G", "colour": "blue"},
    ],
)
async def test_create_schema_errors(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId, data: dict[str, Any]
) -> None:
    """Malformed action data is rejected by the schema, before the action runs."""
    await sandbox.reset_requests()

    with pytest.raises(probatio.Invalid):
        await _call(hass, "create_access_code", lock_id(SALTO), **data)

    assert await sandbox.requests() == {}


async def _august_code(hass: HomeAssistant, entity_id: str, **data: Any) -> dict[str, Any]:
    response = await _call(hass, "create_access_code", entity_id, **data)
    assert response is not None
    created: dict[str, Any] = response[entity_id]
    return created


@pytest.mark.parametrize(
    ("target", "data", "key", "message"),
    [
        (AUGUST, {"access_code_id": "nope", "name": "New"}, "access_code_not_on_lock", None),
        (
            SCHLAGE,
            {"access_code_id": "{ongoing}", "name": "New"},
            "access_code_not_on_lock",
            "is not on",
        ),
        (AUGUST, {"access_code_id": "{ongoing}"}, "update_nothing", None),
        (AUGUST, {"access_code_id": "{ongoing}", "name": ""}, "name_empty", None),
        (
            AUGUST,
            {"access_code_id": "{ongoing}", "ongoing": True, "ends_at": FUTURE},
            "ongoing_with_schedule",
            None,
        ),
        (AUGUST, {"access_code_id": "{ongoing}", "starts_at": FUTURE}, "schedule_incomplete", None),
        (
            AUGUST,
            {"access_code_id": "{timed}", "ends_at": "2029-06-01 00:00"},
            "end_before_start",
            None,
        ),
        (
            AUGUST,
            {
                "access_code_id": "{timed}",
                "starts_at": "2020-01-01 00:00",
                "ends_at": "2021-01-01 00:00",
            },
            "end_in_past",
            None,
        ),
    ],
)
async def test_update_validation(
    *,
    hass: HomeAssistant,
    sandbox: Sandbox,
    lock_id: LockId,
    target: str,
    data: dict[str, Any],
    key: str,
    message: str | None,
) -> None:
    """Bad updates are refused before any write; the code is unchanged."""
    august = lock_id(AUGUST)
    ongoing = await _august_code(hass, august, name="Ongoing", code="1111")
    timed = await _august_code(
        hass, august, name="Timed", code="2222", starts_at="2030-01-01 00:00", ends_at=LATER
    )
    ids = {"{ongoing}": ongoing["access_code_id"], "{timed}": timed["access_code_id"]}
    data = {k: ids.get(v, v) for k, v in data.items()}
    before = await _codes(hass, august)
    await sandbox.reset_requests()

    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "update_access_code", lock_id(target), **data)

    assert err.value.translation_key == key
    if message is not None:
        assert message in str(err.value)
    assert await _writes(sandbox) == {}
    assert await _codes(hass, august) == before


async def test_delete_validation(hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId) -> None:
    """A code of another lock or an unknown code: nothing is deleted."""
    august = lock_id(AUGUST)
    created = await _august_code(hass, august, name="Ongoing", code="1111")
    await sandbox.reset_requests()

    for target, code_id, key in (
        (SCHLAGE, created["access_code_id"], "access_code_not_on_lock"),
        (AUGUST, "nope", "access_code_not_on_lock"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await _call(hass, "delete_access_code", lock_id(target), access_code_id=code_id)
        assert err.value.translation_key == key

    assert await _writes(sandbox) == {}
    assert len(await _codes(hass, august)) == 1


async def test_lock_went_offline(hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId) -> None:
    """A lock that went offline since the last poll: its codes are not changed or deleted.

    A new code is still created: Seam accepts it and sets it when the lock is back online
    (the response says the lock is offline).
    """
    entity_id = lock_id(AUGUST)
    created = await _august_code(hass, entity_id, name="G", code="4821")
    await sandbox.update_device(AUGUST, properties={"online": False})
    await sandbox.reset_requests()
    code_id = created["access_code_id"]

    for action, data in (
        ("update_access_code", {"access_code_id": code_id, "name": "New"}),
        ("delete_access_code", {"access_code_id": code_id}),
    ):
        with pytest.raises(HomeAssistantError) as err:
            await _call(hass, action, entity_id, **data)
        # The lock's state, not the caller's input, is at fault.
        assert not isinstance(err.value, ServiceValidationError)
        assert err.value.translation_key == "lock_offline"
        assert str(err.value) == (
            "Garage Entry is offline. Seam cannot change its access codes until it is back online"
        )
    assert await _writes(sandbox) == {}

    queued = await _august_code(hass, entity_id, name="Queued", code="5932")
    assert queued["lock_offline"] is True
    assert [c["name"] for c in await _codes(hass, entity_id)] == ["G", "Queued"]


async def test_name_length_from_code_constraints(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """A lock's name_length constraint limits names; without one, Seam decides."""
    await sandbox.update_device(
        SCHLAGE,
        properties={"code_constraints": [{"constraint_type": "name_length", "max_length": 10}]},
    )
    await sandbox.reset_requests()
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "create_access_code", lock_id(SCHLAGE), name="x" * 11, code="1234")
    assert err.value.translation_key == "name_invalid"
    assert "must have 1 to 10 characters" in str(err.value)
    assert await _writes(sandbox) == {}

    # A lock without the constraint: a long name goes to Seam.
    created = await _august_code(hass, lock_id(AUGUST), name="y" * 80, code="4321")
    assert created["name"] == "y" * 80


async def test_pin_refused_by_code_constraint(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """cannot_specify_pin_code on a lock of any brand refuses a chosen PIN before sending."""
    await sandbox.update_device(
        AUGUST, properties={"code_constraints": [{"constraint_type": "cannot_specify_pin_code"}]}
    )
    await sandbox.reset_requests()
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "create_access_code", lock_id(AUGUST), name="G", code="1234")
    assert err.value.translation_key == "code_not_allowed"
    assert "Garage Entry does not accept a PIN of your choice" in str(err.value)
    assert await _writes(sandbox) == {}


async def test_offline_lock_is_unavailable(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId, caplog: pytest.LogCaptureFixture
) -> None:
    """A lock offline at the last poll is unavailable: HA runs no action on it."""
    entity_id = lock_id(OFFLINE)
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "unavailable"
    await sandbox.reset_requests()

    await hass.services.async_call(
        DOMAIN, "create_access_code", {ATTR_ENTITY_ID: entity_id, "name": "G"}, blocking=True
    )
    with pytest.raises(HomeAssistantError, match="did not match any entities"):
        await _call(hass, "create_access_code", entity_id, name="G")

    assert f"Referenced entities {entity_id} are missing or not currently available" in caplog.text
    assert await sandbox.requests() == {}


# --------------------------------------------------------------------------------------------
# Seam failures: a translated HomeAssistantError naming the reason
# --------------------------------------------------------------------------------------------


async def test_create_rate_limited(hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId) -> None:
    """A 429 on create is reported (and not retried)."""
    await sandbox.fault("/access_codes/create", "rate_limit", retry_after=30)
    entity_id = lock_id(AUGUST)

    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "create_access_code", entity_id, name="G", code="4821")

    assert err.value.translation_key == "rate_limited"
    assert "rate limit" in str(err.value)
    assert "Too many requests" in str(err.value)
    assert (await sandbox.requests())["/access_codes/create"] == 1
    assert await _codes(hass, entity_id) == []


async def test_create_conflict(hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId) -> None:
    """Seam refusing a duplicate PIN: the error names the reason but not the PIN."""
    entity_id = lock_id(AUGUST)
    await _call(hass, "create_access_code", entity_id, name="First", code="4821")

    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "create_access_code", entity_id, name="Second", code="4821")

    assert err.value.translation_key == "seam_failed"
    assert "Seam request for Garage Entry failed" in str(err.value)
    assert "4821" not in str(err.value)


async def test_delete_attempt_error(hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId) -> None:
    """A failed deletion attempt is reported with Seam's reason; the code stays."""
    entity_id = lock_id(AUGUST)
    created = await _august_code(hass, entity_id, name="G", code="4821")
    await sandbox.fault(
        "/access_codes/delete", "attempt_error", error_type="device_busy", message="Lock is busy"
    )

    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "delete_access_code", entity_id, access_code_id=created["access_code_id"])

    assert err.value.translation_key == "action_attempt_failed"
    assert "device_busy: Lock is busy" in str(err.value)
    assert len(await _codes(hass, entity_id)) == 1


@pytest.mark.parametrize(
    ("route", "kind", "action", "data", "key", "reason"),
    [
        ("/access_codes/list", "outage", "list_access_codes", {}, "seam_unavailable", "HTTP 503"),
        ("/access_codes/list", "unauthorized", "list_access_codes", {}, "auth_failed", None),
        ("/access_codes/list", "rate_limit", "list_access_codes", {}, "rate_limited", None),
        (
            "/access_codes/update",
            "outage",
            "update_access_code",
            {"name": "New"},
            "seam_unavailable",
            "Could not reach Seam",
        ),
        (
            "/access_codes/delete",
            "malformed",
            "delete_access_code",
            {},
            "seam_unavailable",
            "Malformed response",
        ),
    ],
)
async def test_seam_failures(
    *,
    hass: HomeAssistant,
    sandbox: Sandbox,
    lock_id: LockId,
    route: str,
    kind: str,
    action: str,
    data: dict[str, Any],
    key: str,
    reason: str | None,
) -> None:
    """Outages, rejected keys and rate limits map to translated errors."""
    entity_id = lock_id(AUGUST)
    created = await _august_code(hass, entity_id, name="G", code="4821")
    if action != "list_access_codes":
        data = {"access_code_id": created["access_code_id"], **data}
    await sandbox.fault(route, kind, count=1)

    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, action, entity_id, **data)

    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == key
    if reason is not None:
        assert reason in str(err.value)
    await hass.async_block_till_done()
    # A rejected API key starts re-authentication, as a failed poll does.
    reauth = [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == "reauth"
    ]
    assert len(reauth) == (key == "auth_failed")


async def test_several_locks_all_finish_and_failures_are_named(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """One lock failing does not hide the others' results: the error names both kinds."""
    august, schlage = lock_id(AUGUST), lock_id(SCHLAGE)
    await sandbox.update_device(
        SCHLAGE, properties={"code_constraints": [{"constraint_type": "cannot_specify_pin_code"}]}
    )

    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "create_access_code", [august, schlage], name="Guest", code="4821")

    [created] = await _codes(hass, august)
    assert created["name"] == "Guest"
    assert err.value.translation_key == "action_partly_failed"
    message = str(err.value)
    assert f"{schlage}: Bathroom Door does not accept a PIN of your choice" in message
    assert f"It succeeded on: {august} (access_code_id {created['access_code_id']})" in message
    assert "4821" not in message  # never a PIN in an error
    assert await _codes(hass, schlage) == []
    await sandbox.update_device(SCHLAGE, properties={"online": False})  # since the last poll

    # Without a new code, a lock it succeeded on is named by its entity id alone.
    with pytest.raises(HomeAssistantError) as err:
        await _call(
            hass,
            "update_access_code",
            [august, schlage],
            access_code_id=created["access_code_id"],
            name="Guest 2",
        )
    assert str(err.value).endswith(f"It succeeded on: {august}")
    assert [code["name"] for code in await _codes(hass, august)] == ["Guest 2"]

    # An unexpected error (a bug) is not turned into a message: it propagates as it is.
    with (
        patch.object(SeamClient, "get_device", side_effect=RuntimeError("bug")),
        pytest.raises(RuntimeError, match="bug"),
    ):
        await _call(hass, "delete_access_code", [august, schlage], access_code_id="x")

    # Every lock failing: one error naming each.
    await sandbox.update_device(AUGUST, properties={"online": False})
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "delete_access_code", [august, schlage], access_code_id="x")
    assert err.value.translation_key == "action_failed_on_locks"
    assert f"{august}: " in str(err.value)
    assert f"{schlage}: " in str(err.value)


async def test_lock_removed_while_waiting_for_pin(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId, init_integration: MockConfigEntry
) -> None:
    """Seam stops reporting the lock while the action waits for its PIN: the action finishes."""
    await sandbox.set_config(salto_code_delay_s=0.5)
    entity_id = lock_id(SALTO)
    call = hass.async_create_task(_call(hass, "create_access_code", entity_id, name="Late"))
    await asyncio.sleep(0.2)
    coordinator = init_integration.runtime_data
    with patch.object(
        coordinator.client,
        "list_devices",
        AsyncMock(return_value=[d for d in coordinator.data.values() if d.device_id != SALTO]),
    ):
        await coordinator.async_refresh()
    assert hass.states.get(entity_id) is None  # the lock and its entities are gone

    response = await call
    assert response is not None
    assert PIN_RE.match(response[entity_id]["code"])


async def test_lock_gone_at_seam(hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId) -> None:
    """A lock Seam no longer knows: the not-found error is reported."""
    entity_id = lock_id(AUGUST)
    await sandbox.remove_device(AUGUST)

    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "list_access_codes", entity_id)

    assert err.value.translation_key == "seam_not_found"
    assert "device_not_found" in str(err.value)


async def test_invalid_input_from_seam(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """Seam rejecting the input (400) is reported with its message."""
    entity_id = lock_id(AUGUST)
    created = await _august_code(hass, entity_id, name="G", code="4821")

    with (
        patch.object(
            SeamClient,
            "update_access_code",
            side_effect=SeamInvalidInputError(
                "Seam /access_codes/update failed: invalid_input: bad"
            ),
        ),
        pytest.raises(HomeAssistantError) as err,
    ):
        await _call(
            hass,
            "update_access_code",
            entity_id,
            access_code_id=created["access_code_id"],
            name="N",
        )

    assert err.value.translation_key == "seam_invalid_input"
    assert (
        "Seam rejected the request for Garage Entry: "
        "Seam /access_codes/update failed: invalid_input: bad" in str(err.value)
    )


def _salto_code(**fields: Any) -> AccessCode:
    values: dict[str, Any] = {
        "access_code_id": "ac_1",
        "device_id": SALTO,
        "name": "Guest",
        "code": None,
        "type": "ongoing",
        "status": "setting",
        "starts_at": None,
        "ends_at": None,
        "is_waiting_for_code_assignment": True,
        "created_at": dt_util.utcnow(),
        "is_managed": True,
        "errors": (),
        "warnings": (),
    }
    return AccessCode(**(values | fields))


SUBSCRIPTION_ERROR = SeamIssue(
    code="salto_ks_user_not_subscribed",
    message="The Salto KS user is not subscribed",
    created_at=None,
)


async def test_salto_subscription_error_on_create(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """The sandbox cannot produce code errors: the client answer is mocked for this one."""
    with (
        patch.object(
            SeamClient,
            "create_access_code",
            AsyncMock(return_value=_salto_code(errors=(SUBSCRIPTION_ERROR,))),
        ),
        pytest.raises(HomeAssistantError) as err,
    ):
        await _call(hass, "create_access_code", lock_id(SALTO), name="Guest")

    assert err.value.translation_key == "access_code_error"
    assert str(err.value) == (
        "Seam reports that access code Guest (ac_1) on Front Door cannot be used: "
        "The Salto KS user is not subscribed (salto_ks_user_not_subscribed). "
        "Delete it, fix the cause and create it again"
    )


async def test_salto_subscription_error_while_waiting(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """An error Seam reports while the PIN is awaited fails the action too."""
    issue = SeamIssue(code="salto_ks_subscription_limit_exceeded", message="", created_at=None)
    with (
        patch.object(
            SeamClient, "get_access_code", AsyncMock(return_value=_salto_code(errors=(issue,)))
        ),
        pytest.raises(HomeAssistantError) as err,
    ):
        await _call(hass, "create_access_code", lock_id(SALTO), name="Guest")

    assert err.value.translation_key == "access_code_error"
    assert "cannot be used: salto_ks_subscription_limit_exceeded." in str(err.value)


async def test_delete_not_confirmed_in_time(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """A deletion Seam has not finished when the wait ends: reported, the code is 'removing'."""
    entity_id = lock_id(AUGUST)
    created = await _august_code(hass, entity_id, name="G", code="4821")
    await sandbox.fault("/access_codes/delete", "attempt_pending")
    delete = SeamClient.delete_access_code

    async def quick_delete(client: SeamClient, access_code_id: str) -> Any:
        return await delete(client, access_code_id, timeout=0.3, poll_interval=0.05)

    with (
        patch.object(SeamClient, "delete_access_code", quick_delete),
        pytest.raises(HomeAssistantError) as err,
    ):
        await _call(hass, "delete_access_code", entity_id, access_code_id=created["access_code_id"])

    assert err.value.translation_key == "access_code_change_pending"
    assert not isinstance(err.value, ServiceValidationError)
    assert "is still carrying it out" in str(err.value)
    assert "It is not failed" in str(err.value)
    assert [c["status"] for c in await _codes(hass, entity_id)] == ["removing"]


async def test_update_waits_and_reports(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """Update waits for its action attempt: a failure is reported, a pending one is not."""
    entity_id = lock_id(AUGUST)
    created = await _august_code(hass, entity_id, name="G", code="4821")
    code_id = created["access_code_id"]
    update = SeamClient.update_access_code

    async def quick_update(client: SeamClient, access_code_id: str, **kwargs: Any) -> Any:
        return await update(client, access_code_id, **kwargs, timeout=0.3, poll_interval=0.05)

    with patch.object(SeamClient, "update_access_code", quick_update):
        await sandbox.fault(
            "/access_codes/update", "attempt_error", message="lock refused", count=1
        )
        with pytest.raises(HomeAssistantError) as err:
            await _call(hass, "update_access_code", entity_id, access_code_id=code_id, name="H")
        assert err.value.translation_key == "action_attempt_failed"
        assert "lock refused" in str(err.value)

        await sandbox.fault("/access_codes/update", "attempt_pending", count=1)
        with pytest.raises(HomeAssistantError) as err:
            await _call(hass, "update_access_code", entity_id, access_code_id=code_id, name="H")
        assert err.value.translation_key == "access_code_change_pending"

        await _call(hass, "update_access_code", entity_id, access_code_id=code_id, name="Kept")
    [code] = await _codes(hass, entity_id)
    assert code["name"] == "Kept"
    assert code["type"] == "ongoing"


async def test_pending_code_read_again_dropped_when_gone_or_over(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId, init_integration: MockConfigEntry
) -> None:
    """A waiting code whose lock's read fails is read again; one deleted or over is dropped."""
    coordinator = init_integration.runtime_data
    entity_id = lock_id(SALTO)
    ready: list[dict[str, Any]] = []
    hass.bus.async_listen("seam_access_code_ready", lambda event: ready.append(event.data))
    first = await _call(
        hass, "create_access_code", entity_id, name="First", starts_at=FUTURE, ends_at=LATER
    )
    assert first is not None
    first_id = first[entity_id]["access_code_id"]

    await sandbox.fault("/access_codes/list", "outage", count=1)
    await sandbox.advance_clock(
        (dt_util.parse_datetime(FUTURE) - dt_util.utcnow()).total_seconds() + 1  # type: ignore[operator]
    )
    await async_refresh(hass, init_integration)
    # Seam's event carries the PIN (access_code.set_on_device): ready although the read failed.
    assert [data["access_code_id"] for data in ready] == [first_id]
    await async_refresh(hass, init_integration)
    assert len(ready) == 1

    # A waiting code deleted at Seam meanwhile: its lock's codes are read, then it is forgotten.
    second = await coordinator.client.create_access_code(
        SALTO,
        "Second",
        starts_at=dt_util.utcnow() + timedelta(days=9999),
        ends_at=dt_util.utcnow() + timedelta(days=10000),
    )
    coordinator.async_watch_access_code(entity_id, second)
    await coordinator.client.delete_access_code(second.access_code_id)
    await sandbox.add_event(SALTO, "access_code.changed", access_code_id=second.access_code_id)
    await async_refresh(hass, init_integration)
    assert second.access_code_id not in coordinator.pending_codes

    # A waiting code whose end has passed is forgotten (its lock's codes are not read for it).
    coordinator.async_watch_access_code(
        entity_id, replace(second, ends_at=dt_util.utcnow() - timedelta(seconds=1))
    )
    await async_refresh(hass, init_integration)
    assert coordinator.pending_codes == {}
    assert len(ready) == 1


async def test_update_time_bound_to_ongoing_salto(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId, init_integration: MockConfigEntry
) -> None:
    """A future Salto KS code made ongoing gets its PIN now; the ready event says so."""
    await sandbox.set_config(salto_code_delay_s=0.1)
    entity_id = lock_id(SALTO)
    ready: list[dict[str, Any]] = []
    hass.bus.async_listen("seam_access_code_ready", lambda event: ready.append(event.data))
    response = await _call(
        hass, "create_access_code", entity_id, name="Tomorrow", starts_at=FUTURE, ends_at=LATER
    )
    assert response is not None
    code_id = response[entity_id]["access_code_id"]
    assert response[entity_id]["code"] is None

    # A rename keeps it time-bound.
    await _call(hass, "update_access_code", entity_id, access_code_id=code_id, name="Soon")
    [code] = await _codes(hass, entity_id)
    assert (code["name"], code["type"], code["code"]) == ("Soon", "time_bound", None)

    await _call(hass, "update_access_code", entity_id, access_code_id=code_id, ongoing=True)
    await asyncio.sleep(0.3)
    await init_integration.runtime_data.async_refresh()
    await hass.async_block_till_done()

    [code] = await _codes(hass, entity_id)
    assert code["type"] == "ongoing"
    assert code["starts_at"] is None
    assert PIN_RE.match(code["code"])
    assert ready == [
        {
            "entity_id": entity_id,
            "device_id": SALTO,
            "access_code_id": code_id,
            "name": "Soon",
            "starts_at": None,
            "ends_at": None,
        }
    ]


# --------------------------------------------------------------------------------------------
# Unknown outcome of a create: never sent twice
# --------------------------------------------------------------------------------------------


async def test_create_response_lost_code_found(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """The connection drops after Seam created the code: the action finds and reports it."""
    await sandbox.set_config(salto_code_delay_s=0.2)
    entity_id = lock_id(SALTO)
    earlier = await _call(hass, "create_access_code", entity_id, name="Guest")
    assert earlier is not None
    await sandbox.fault("/access_codes/create", "drop", count=1)
    await sandbox.reset_requests()

    response = await _call(hass, "create_access_code", entity_id, name="Guest")

    assert response is not None
    found = response[entity_id]
    assert found["recovered"] is True
    assert found["access_code_id"] != earlier[entity_id]["access_code_id"]
    assert found["name"] == "Guest"
    assert PIN_RE.match(found["code"])
    assert (await sandbox.requests())["/access_codes/create"] == 1
    assert len(await _codes(hass, entity_id)) == 2


async def test_create_outage_no_code_created(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """No answer and no new code on the lock: the error says no code was created."""
    entity_id = lock_id(SALTO)
    await sandbox.fault("/access_codes/create", "outage", count=1)

    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "create_access_code", entity_id, name="Guest")

    assert err.value.translation_key == "create_not_confirmed"
    assert "no code was created" in str(err.value)
    assert (await sandbox.requests())["/access_codes/create"] == 1
    assert await _codes(hass, entity_id) == []


async def test_create_lost_old_same_name_code_ignored(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """A code of that name that is older than a minute is not taken for the new one."""
    old = _salto_code(access_code_id="old", created_at=dt_util.utcnow() - timedelta(minutes=5))
    with (
        patch.object(SeamClient, "list_access_codes", AsyncMock(side_effect=[[], [old]])),
        patch.object(
            SeamClient, "create_access_code", AsyncMock(side_effect=SeamConnectionError("Timeout"))
        ),
        pytest.raises(HomeAssistantError) as err,
    ):
        await _call(hass, "create_access_code", lock_id(SALTO), name="Guest")

    assert err.value.translation_key == "create_not_confirmed"


async def test_create_outcome_unknown(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """No answer, and the check fails too: the error says to look before retrying."""
    entity_id = lock_id(SALTO)
    await sandbox.fault("/access_codes/create", "drop", count=1)
    with (
        patch.object(
            SeamClient,
            "list_access_codes",
            AsyncMock(side_effect=[[], SeamConnectionError("Timeout while calling Seam")]),
        ),
        pytest.raises(HomeAssistantError) as err,
    ):
        await _call(hass, "create_access_code", entity_id, name="Guest")

    assert err.value.translation_key == "create_outcome_unknown"
    assert "List the lock's access codes before trying again" in str(err.value)
    assert (await sandbox.requests())["/access_codes/create"] == 1


# --------------------------------------------------------------------------------------------
# PINs are never logged
# --------------------------------------------------------------------------------------------


async def test_no_pin_in_logs(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId, caplog: pytest.LogCaptureFixture
) -> None:
    """At DEBUG (HA core's event bus included), no action or error path logs a PIN."""
    caplog.set_level(logging.DEBUG)
    hass.bus.async_fire(EVENT_LOGGING_CHANGED)  # HA's bus re-reads its log level
    await hass.async_block_till_done()
    await sandbox.set_config(salto_code_delay_s=0.1)
    salto, august = lock_id(SALTO), lock_id(AUGUST)
    custom = ["90210", "771234", "55123"]  # typed by the user into the action data

    response = await _call(hass, "create_access_code", salto, name="Guest")
    assert response is not None
    generated = [response[salto]["code"]]
    await sandbox.fault("/access_codes/create", "drop", count=1)
    response = await _call(hass, "create_access_code", salto, name="Lost")
    assert response is not None
    generated.append(response[salto]["code"])
    await sandbox.set_config(salto_code_delay_s=5)
    with patch.object(services, "CODE_WAIT_TIMEOUT", 0.2):
        await _call(hass, "create_access_code", salto, name="Slow")
    created = await _august_code(hass, august, name="Walker", code=custom[0])
    with pytest.raises(HomeAssistantError):
        await _call(hass, "create_access_code", august, name="Dup", code=custom[0])
    with pytest.raises(ServiceValidationError):
        await _call(hass, "create_access_code", salto, name="X", code=custom[1])
    await sandbox.fault("/access_codes/create", "rate_limit", count=1)
    with pytest.raises(HomeAssistantError):
        await _call(hass, "create_access_code", august, name="Y", code=custom[2])
    await _codes(hass, salto)
    await _codes(hass, august)
    await _call(
        hass, "update_access_code", august, access_code_id=created["access_code_id"], name="W"
    )
    await _call(hass, "delete_access_code", august, access_code_id=created["access_code_id"])
    listed = [c["code"] for c in await _codes(hass, salto)]

    assert listed == [*generated, None]  # "Slow" has no PIN yet
    assert all(PIN_RE.match(pin) for pin in generated)
    records = [(r.name, r.getMessage(), r.exc_text or "") for r in caplog.records]
    assert any(
        "/access_codes/create" in message
        for name, message, _ in records
        if name.startswith("custom_components.seam")
    )
    # HA core's event bus echoes the data of each action call, including a code the user
    # typed in; that is the only place a custom code may appear. Generated PINs appear nowhere.
    echoes = [m for n, m, _ in records if n == "homeassistant.core" and "call_service" in m]
    assert any(custom[0] in m for m in echoes)
    for name, message, exc_text in records:
        is_echo = name == "homeassistant.core" and "call_service" in message
        for pin in generated + ([] if is_echo else custom):
            assert pin not in message, name
            assert pin not in exc_text, name


async def test_delete_expired_leaves_codes_seam_is_removing(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """At its end Seam removes a code by itself (removing, then gone): nothing to delete."""
    await sandbox.set_config(code_removal_delay_s=60)
    await _create_expired_codes(sandbox, "delete")
    [removing] = [c for c in await _codes(hass, lock_id(AUGUST)) if c["name"] == "Expired too"]
    assert removing["status"] == "removing"
    assert removing["errors"] == []

    response = await _call(hass, "delete_expired_access_codes", lock_id(AUGUST))

    assert response == {lock_id(AUGUST): {"deleted": []}}
    assert (await sandbox.requests()).get("/access_codes/delete", 0) == 0


async def test_codes_answer_seams_errors_and_warnings(
    hass: HomeAssistant, sandbox: Sandbox, lock_id: LockId
) -> None:
    """The access code actions answer a code's Seam errors and warnings by code, such as
    spec 1.1038.0's code_constraints_violated and delay_in_issuing."""
    created = await _call(
        hass,
        "create_access_code",
        lock_id(SALTO),
        name="Guest",
        starts_at="2030-06-01 15:00",
        ends_at="2030-06-03 11:00",
    )
    assert created is not None
    access_code_id = created[lock_id(SALTO)]["access_code_id"]
    assert (created[lock_id(SALTO)]["errors"], created[lock_id(SALTO)]["warnings"]) == ([], [])
    for kind in ("code_constraints_violated", "delay_in_issuing"):
        await sandbox.control(
            "access_codes/problem", {"access_code_id": access_code_id, "kind": kind}
        )

    [code] = await _codes(hass, lock_id(SALTO))
    assert code["errors"] == ["code_constraints_violated"]
    assert code["warnings"] == ["delay_in_issuing"]


@pytest.mark.parametrize("pin_at_starts_at", [False, True])
async def test_salto_code_in_a_month_gets_its_pin_event(
    hass: HomeAssistant,
    sandbox: Sandbox,
    lock_id: LockId,
    init_integration: MockConfigEntry,
    pin_at_starts_at: bool,
) -> None:
    """A Salto KS code made for a month from now: seam_access_code_ready fires once, when Salto's
    PIN arrives: 72 hours before the start (Seam's native scheduling) or, with the other
    plausible behaviour, at the start; never before, and without the PIN."""
    await sandbox.set_config(salto_code_delay_s=0, salto_pin_at_starts_at=pin_at_starts_at)
    entity_id = lock_id(SALTO)
    ready: list[dict[str, Any]] = []
    hass.bus.async_listen("seam_access_code_ready", lambda event: ready.append(dict(event.data)))
    starts = dt_util.utcnow() + timedelta(days=30)
    created = await _call(
        hass,
        "create_access_code",
        entity_id,
        name="Guest",
        starts_at=starts.isoformat(),
        ends_at=(starts + timedelta(days=2)).isoformat(),
    )
    assert created is not None
    access_code_id = created[entity_id]["access_code_id"]
    assert created[entity_id]["code"] is None
    arrives = starts if pin_at_starts_at else starts - timedelta(hours=72)

    async def at(moment: datetime) -> None:
        sandbox_now = dt_util.parse_datetime(await sandbox.advance_clock(0))
        assert sandbox_now is not None
        await sandbox.advance_clock(max((moment - sandbox_now).total_seconds(), 0))
        await async_refresh(hass, init_integration)
        await hass.async_block_till_done()

    await at(arrives - timedelta(minutes=5))
    assert ready == []
    await at(arrives + timedelta(seconds=2))
    assert [event["access_code_id"] for event in ready] == [access_code_id]
    assert "code" not in ready[0]
    [code] = await _codes(hass, entity_id)
    assert code["code"] is not None
    assert code["status"] == ("set" if pin_at_starts_at else "unset")
    await at(starts + timedelta(seconds=2))
    assert len(ready) == 1
