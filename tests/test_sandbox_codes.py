"""The sandbox's access codes and locks behave as Seam's docs say (real HTTP, raw Seam API).

Sources (seamapi/docs, mintlify-docs/): low-level-apis/smart-locks/access-codes/index.mdx
("Native Scheduling": codes loaded 72 hours before starts_at), lifecycle-of-access-codes.mdx
(unset, scheduled_on_device, set at starts_at, removing and deleted at ends_at),
device-and-system-integration-guides/salto-locks/index.mdx (Salto generates 6-10 digit PINs)
and access-code-requirements-for-door-locks.mdx / api/locks/object.mdx (code requirements).
Behaviours in no Seam document are opt-in sandbox switches; both settings are tested.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest

from tests.sandbox import Sandbox

SALTO = "salto_lock_front_door"
AUGUST = "august_device_1"
PATIO = "august_device_2"
SCHLAGE = "schlage_device_id"


async def _seam(
    sandbox: Sandbox, route: str, body: dict[str, Any], status: int = 200
) -> dict[str, Any]:
    """POST a Seam API request to the sandbox; return its JSON body (asserting the status)."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{sandbox.url}{route}",
            json=body,
            headers={"Authorization": f"Bearer {sandbox.api_key}"},
        ) as response,
    ):
        assert response.status == status, await response.text()
        result: dict[str, Any] = await response.json()
        return result


async def _now(sandbox: Sandbox) -> datetime:
    return datetime.fromisoformat(await sandbox.advance_clock(0))


async def _create(
    sandbox: Sandbox, device_id: str, starts_in: timedelta | None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"device_id": device_id, "name": "Guest", **extra}
    if starts_in is not None:
        starts = await _now(sandbox) + starts_in
        body |= {
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(days=2)).isoformat(),
        }
    return await _seam(sandbox, "/access_codes/create", body)


async def _get(sandbox: Sandbox, access_code_id: str) -> dict[str, Any]:
    code: dict[str, Any] = (
        await _seam(sandbox, "/access_codes/get", {"access_code_id": access_code_id})
    )["access_code"]
    return code


async def _events(sandbox: Sandbox, access_code_id: str) -> list[dict[str, Any]]:
    """The code's events, oldest first (events/list from long ago to far ahead)."""
    body = {
        "between": ["2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z"],
        "access_code_id": access_code_id,
    }
    events = (await _seam(sandbox, "/events/list", body))["events"]
    return sorted(events, key=lambda event: (event["created_at"], event["event_id"]))


async def _advance_to(sandbox: Sandbox, moment: datetime) -> None:
    await sandbox.advance_clock(max((moment - await _now(sandbox)).total_seconds(), 0))


async def test_future_salto_code_gets_its_pin_72_hours_ahead(sandbox: Sandbox) -> None:
    """A code starting in a month: no PIN, unset; 72 h before its start Salto's PIN arrives
    with access_code.scheduled_on_device (carrying the code), still unset; at its start it
    is set, with access_code.set_on_device."""
    await sandbox.set_config(salto_code_delay_s=0)
    created = await _create(sandbox, SALTO, timedelta(days=30))
    code = created["access_code"]
    assert created["action_attempt"]["action_type"] == "CREATE_ACCESS_CODE"
    assert created["action_attempt"]["status"] == "success"
    assert (code["code"], code["status"], code["is_waiting_for_code_assignment"]) == (
        None,
        "unset",
        True,
    )
    starts = datetime.fromisoformat(code["starts_at"])

    await _advance_to(sandbox, starts - timedelta(hours=72, seconds=10))
    assert (await _get(sandbox, code["access_code_id"]))["code"] is None

    await sandbox.advance_clock(11)
    loaded = await _get(sandbox, code["access_code_id"])
    assert loaded["status"] == "unset"
    assert loaded["is_scheduled_on_device"] is True
    assert 6 <= len(loaded["code"]) <= 10
    assert loaded["code"].isdigit()
    scheduled = [
        e
        for e in await _events(sandbox, code["access_code_id"])
        if e["event_type"] == "access_code.scheduled_on_device"
    ]
    assert [e["code"] for e in scheduled] == [loaded["code"]]

    await _advance_to(sandbox, starts + timedelta(seconds=1))
    active = await _get(sandbox, code["access_code_id"])
    assert (active["status"], active["code"]) == ("set", loaded["code"])
    types = [e["event_type"] for e in await _events(sandbox, code["access_code_id"])]
    assert types == [
        "access_code.created",
        "access_code.scheduled_on_device",
        "access_code.set_on_device",
    ]


async def test_code_five_years_out_stays_without_pin(sandbox: Sandbox) -> None:
    """As in Seam's Salto guide: a code years ahead is listed with code null, unset."""
    await sandbox.set_config(salto_code_delay_s=0)
    code = (await _create(sandbox, SALTO, timedelta(days=5 * 365)))["access_code"]
    await sandbox.advance_clock(3600)
    [listed] = (await _seam(sandbox, "/access_codes/list", {"device_id": SALTO}))["access_codes"]
    assert (listed["code"], listed["status"], listed["is_waiting_for_code_assignment"]) == (
        None,
        "unset",
        True,
    )
    assert [e["event_type"] for e in await _events(sandbox, code["access_code_id"])] == [
        "access_code.created"
    ]


async def test_code_within_the_window_gets_its_pin_at_once(sandbox: Sandbox) -> None:
    """A code starting tomorrow is loaded when made (within 72 h): PIN now, set at the start."""
    await sandbox.set_config(salto_code_delay_s=0)
    code = (await _create(sandbox, SALTO, timedelta(days=1)))["access_code"]
    await sandbox.advance_clock(1)
    loaded = await _get(sandbox, code["access_code_id"])
    assert loaded["code"] is not None
    assert loaded["status"] == "unset"


async def test_window_is_configurable(sandbox: Sandbox) -> None:
    """native_scheduling_window_s moves when the PIN arrives."""
    await sandbox.set_config(salto_code_delay_s=0, native_scheduling_window_s=3600)
    code = (await _create(sandbox, SALTO, timedelta(days=1)))["access_code"]
    starts = datetime.fromisoformat(code["starts_at"])
    await _advance_to(sandbox, starts - timedelta(hours=2))
    assert (await _get(sandbox, code["access_code_id"]))["code"] is None
    await _advance_to(sandbox, starts - timedelta(minutes=59))
    assert (await _get(sandbox, code["access_code_id"]))["code"] is not None


async def test_pin_only_at_starts_at_switch(sandbox: Sandbox) -> None:
    """The other plausible behaviour: no PIN before the start, then set with set_on_device."""
    await sandbox.set_config(salto_code_delay_s=0, salto_pin_at_starts_at=True)
    code = (await _create(sandbox, SALTO, timedelta(days=1)))["access_code"]
    starts = datetime.fromisoformat(code["starts_at"])
    await _advance_to(sandbox, starts - timedelta(minutes=1))
    assert (await _get(sandbox, code["access_code_id"]))["code"] is None

    await _advance_to(sandbox, starts + timedelta(seconds=1))
    active = await _get(sandbox, code["access_code_id"])
    assert active["status"] == "set"
    events = await _events(sandbox, code["access_code_id"])
    assert [e["event_type"] for e in events] == ["access_code.created", "access_code.set_on_device"]
    assert events[-1]["code"] == active["code"]


async def test_code_started_now_is_set(sandbox: Sandbox) -> None:
    """An ongoing code (or one that has started) is set once Salto assigns the PIN."""
    await sandbox.set_config(salto_code_delay_s=0)
    code = (await _create(sandbox, SALTO, None))["access_code"]
    assert code["status"] == "setting"
    await sandbox.advance_clock(1)
    active = await _get(sandbox, code["access_code_id"])
    assert active["status"] == "set"
    assert [e["event_type"] for e in await _events(sandbox, code["access_code_id"])] == [
        "access_code.created",
        "access_code.set_on_device",
    ]


@pytest.mark.parametrize("device_id", [SALTO, AUGUST])
async def test_ended_code_is_removed_then_gone(sandbox: Sandbox, device_id: str) -> None:
    """At ends_at a code (any lock's) goes removing, then is deleted: 404."""
    await sandbox.set_config(salto_code_delay_s=0, code_removal_delay_s=0.3)
    code = (await _create(sandbox, device_id, timedelta(hours=1)))["access_code"]
    await _advance_to(sandbox, datetime.fromisoformat(code["ends_at"]) + timedelta(seconds=1))
    assert (await _get(sandbox, code["access_code_id"]))["status"] == "removing"

    await sandbox.advance_clock(0)
    for _ in range(50):
        listed = (await _seam(sandbox, "/access_codes/list", {"device_id": device_id}))[
            "access_codes"
        ]
        if not listed:
            break
        await sandbox.advance_clock(0.1)
        await _seam(sandbox, "/access_codes/list", {"device_id": device_id})
    assert listed == []
    error = await _seam(
        sandbox, "/access_codes/get", {"access_code_id": code["access_code_id"]}, status=404
    )
    assert error["error"]["type"] == "access_code_not_found"
    assert (await _events(sandbox, code["access_code_id"]))[-1]["event_type"] == (
        "access_code.removed_from_device"
    )


@pytest.mark.parametrize(
    ("expired_codes", "status", "errors"),
    [("keep", "unset", []), ("fail_removal", "removing", ["failed_to_remove_from_device"])],
)
async def test_ended_code_that_stays(
    sandbox: Sandbox, expired_codes: str, status: str, errors: list[str]
) -> None:
    """The codes that stay after their end: kept (the change Seam announces) or stuck."""
    await sandbox.set_config(
        salto_code_delay_s=0, code_removal_delay_s=0, expired_codes=expired_codes
    )
    code = (await _create(sandbox, SALTO, timedelta(hours=1)))["access_code"]
    await _advance_to(sandbox, datetime.fromisoformat(code["ends_at"]) + timedelta(seconds=1))
    await sandbox.advance_clock(1)
    ended = await _get(sandbox, code["access_code_id"])
    assert ended["status"] == status
    assert [e["error_code"] for e in ended["errors"]] == errors


async def test_lock_code_requirements_are_consistent(sandbox: Sandbox) -> None:
    """Seeded locks report the PIN lengths and name limits of Seam's docs; PINs fit them."""
    devices = {
        d["device_id"]: d["properties"]
        for d in (await _seam(sandbox, "/devices/list", {}))["devices"]
    }
    assert devices[SALTO]["supported_code_lengths"] == [6, 7, 8, 9, 10]
    assert devices[SALTO]["code_constraints"] == [{"constraint_type": "cannot_specify_pin_code"}]
    assert devices[PATIO]["supported_code_lengths"] == [4, 5, 6, 7, 8]
    assert {"constraint_type": "name_length", "min_length": 1, "max_length": 12} in devices[PATIO][
        "code_constraints"
    ]
    assert devices[SCHLAGE]["supported_code_lengths"] == [4, 5, 6, 7, 8]
    await sandbox.set_config(salto_code_delay_s=0)
    for device_id in (SALTO, PATIO, SCHLAGE):
        for _ in range(5):
            await _create(sandbox, device_id, None)
        await sandbox.advance_clock(1)
        codes = (await _seam(sandbox, "/access_codes/list", {"device_id": device_id}))[
            "access_codes"
        ]
        lengths = devices[device_id]["supported_code_lengths"]
        assert [len(c["code"]) in lengths for c in codes] == [True] * 5


async def test_assumptions_are_off_by_default(sandbox: Sandbox) -> None:
    """No Seam document shows a Salto KS door sensor or a relock after a web unlock: the
    sandbox does neither unless switched on."""

    async def salto() -> dict[str, Any]:
        device: dict[str, Any] = (await _seam(sandbox, "/devices/get", {"device_id": SALTO}))[
            "device"
        ]
        return device

    assert "door_open" not in (await salto())["properties"]
    await sandbox.set_config(salto_door_open=True)
    assert (await salto())["properties"]["door_open"] is False
    await sandbox.set_config(salto_door_open=False)
    assert "door_open" not in (await salto())["properties"]

    await _seam(sandbox, "/locks/unlock_door", {"device_id": SALTO})
    assert (await salto())["properties"]["locked"] is False
    await sandbox.set_config(salto_relock_after_s=0.1)
    await _seam(sandbox, "/locks/unlock_door", {"device_id": SALTO})
    for _ in range(50):
        if (await salto())["properties"]["locked"]:
            break
        await sandbox.advance_clock(0)
    assert (await salto())["properties"]["locked"] is True


async def test_list_routes_answer_a_page(sandbox: Sandbox) -> None:
    """Routes whose 200 body the spec gives `pagination` answer it from their own handler."""
    for route, body in (
        ("/access_codes/list", {"device_id": SALTO}),
        ("/connected_accounts/list", {}),
        ("/devices/list", {}),
    ):
        page = (await _seam(sandbox, route, body))["pagination"]
        assert page == {"has_next_page": False, "next_page_cursor": None, "next_page_url": None}
    [account] = [
        a
        for a in (await _seam(sandbox, "/connected_accounts/list", {}))["connected_accounts"]
        if a["connected_account_id"] == "salto_ks_connected_account"
    ]
    assert account["warnings"] == []


async def test_issued_event_is_opt_in(sandbox: Sandbox) -> None:
    """access_code.issued (spec 1.1038.0, "Unreleased") carries the PIN, only when switched on."""
    await sandbox.set_config(salto_code_delay_s=0)
    quiet = (await _create(sandbox, SALTO, None))["access_code"]
    await sandbox.set_config(emit_issued_event=True)
    issued = (await _create(sandbox, SALTO, None))["access_code"]
    await sandbox.advance_clock(1)
    assert "access_code.issued" not in [
        e["event_type"] for e in await _events(sandbox, quiet["access_code_id"])
    ]
    [event] = [
        e
        for e in await _events(sandbox, issued["access_code_id"])
        if e["event_type"] == "access_code.issued"
    ]
    assert event["code"] == (await _get(sandbox, issued["access_code_id"]))["code"]


@pytest.mark.parametrize(
    ("kind", "field", "event"),
    [
        ("failed_to_issue", "errors", "access_code.failed_to_issue"),
        ("failed_to_update", "errors", "access_code.failed_to_update"),
        ("failed_to_expire", "errors", "access_code.failed_to_expire"),
        ("code_constraints_violated", "errors", None),
        ("delay_in_issuing", "warnings", "access_code.delay_in_issuing"),
    ],
)
async def test_access_code_problems(
    sandbox: Sandbox, kind: str, field: str, event: str | None
) -> None:
    """The access code problems of spec 1.1038.0: on the code, with their event (if any)."""
    code = (await _create(sandbox, SALTO, timedelta(days=30)))["access_code"]
    await sandbox.control(
        "access_codes/problem", {"access_code_id": code["access_code_id"], "kind": kind}
    )
    listed = await _get(sandbox, code["access_code_id"])
    key = "error_code" if field == "errors" else "warning_code"
    assert [item[key] for item in listed[field]] == [kind]
    types = [e["event_type"] for e in await _events(sandbox, code["access_code_id"])]
    assert types == ["access_code.created", *([event] if event else [])]


async def test_issuing_problems_clear_when_the_pin_comes(sandbox: Sandbox) -> None:
    """failed_to_issue and delay_in_issuing "clear automatically" once the code is issued."""
    await sandbox.set_config(salto_code_delay_s=0)
    code = (await _create(sandbox, SALTO, timedelta(days=30)))["access_code"]
    for kind in ("failed_to_issue", "delay_in_issuing"):
        await sandbox.control(
            "access_codes/problem", {"access_code_id": code["access_code_id"], "kind": kind}
        )
    await _advance_to(sandbox, datetime.fromisoformat(code["starts_at"]) - timedelta(hours=71))
    issued = await _get(sandbox, code["access_code_id"])
    assert issued["code"] is not None
    assert (issued["errors"], issued["warnings"]) == ([], [])


async def test_injected_events_have_the_fields_the_spec_requires(sandbox: Sandbox) -> None:
    """Events a test adds through the control API get the snapshots Seam's spec requires
    (device and account errors and warnings; device.disconnected's error_code)."""
    account = "salto_ks_connected_account"
    await sandbox.update_device(SALTO, warnings=[{"warning_code": "salto_ks_office_mode"}])
    await sandbox.add_event(SALTO, "device.disconnected")
    await sandbox.control(
        "events/add",
        {"event_type": "connected_account.disconnected", "connected_account_id": account},
    )
    body = {"between": ["2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z"]}
    events = {e["event_type"]: e for e in (await _seam(sandbox, "/events/list", body))["events"]}
    device = events["device.disconnected"]
    assert device["error_code"] == "device_disconnected"
    assert [w["warning_code"] for w in device["device_warnings"]] == ["salto_ks_office_mode"]
    assert (device["device_errors"], device["connected_account_errors"]) == ([], [])
    assert events["connected_account.disconnected"]["connected_account_warnings"] == []
