"""The contract checker itself: it finds what does not conform to Seam's OpenAPI spec.

The whole test run is checked by it (tests/contract.py, tests/conftest.py); these tests feed
it exchanges directly, so a checker that stopped finding violations fails here.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
import shutil
import subprocess
from typing import Any

import aiohttp

from tests.contract import ENV_VAR, ContractReport
from tests.sandbox import SANDBOX_DIR, Sandbox

CHECK_SCRIPT = """
import { ContractChecker } from "./lib/contract.mjs"
const checkers = await ContractChecker.createAll()
let input = ""
for await (const chunk of process.stdin) input += chunk
const check = (exchange) => Object.fromEntries(checkers.map((c) => [c.version, c.check(exchange)]))
process.stdout.write(JSON.stringify(JSON.parse(input).map(check)))
"""
# The spec versions every exchange is checked against: npm's (pinned) and the newer one kept in
# sandbox/spec/ (seamapi/types on GitHub).
NPM_SPEC = json.loads((SANDBOX_DIR / "node_modules/@seamapi/types/package.json").read_text())[
    "version"
]
NEWER_SPEC = "1.1038.0"

CODE = {
    "access_code_id": "8f1c4a6e-2b7d-4e7a-9c1d-3f5b6a7c8d9e",
    "device_id": "0d4e5f6a-7b8c-4d9e-8f0a-1b2c3d4e5f6a",
    "workspace_id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    "name": "Cleaner",
    "code": "123456",
    "type": "ongoing",
    "status": "set",
    "created_at": "2026-11-29T10:00:00.000Z",
    "errors": [],
    "warnings": [],
    "is_managed": True,
    "is_backup": False,
    "is_backup_access_code_available": False,
    "is_external_modification_allowed": False,
    "is_offline_access_code": False,
    "is_one_time_use": False,
    "is_scheduled_on_device": True,
    "is_waiting_for_code_assignment": False,
    "common_code_key": None,
    "pulled_backup_access_code_id": None,
    "dormakaba_oracode_metadata": None,
    "pending_mutations": [],
}

# The fields every access_code.* event has (event_type added by each test).
EVENT = {
    "event_id": "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
    "workspace_id": CODE["workspace_id"],
    "device_id": CODE["device_id"],
    "connected_account_id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
    "access_code_id": CODE["access_code_id"],
    "created_at": "2026-11-29T10:00:00.000Z",
    "occurred_at": "2026-11-29T10:00:00.000Z",
}


def _check(*exchanges: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The findings of each exchange, the same under both spec versions."""
    results = _check_each(*exchanges)
    for result in results:
        assert result[NPM_SPEC] == result[NEWER_SPEC]
    return [result[NPM_SPEC] for result in results]


def _check_each(*exchanges: dict[str, Any]) -> list[dict[str, list[dict[str, Any]]]]:
    """The findings of each exchange, by spec version."""
    node = shutil.which("node")
    assert node is not None
    result = subprocess.run(
        [node, "--input-type=module", "-e", CHECK_SCRIPT],
        cwd=SANDBOX_DIR,
        input=json.dumps(list(exchanges)),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    findings: list[dict[str, list[dict[str, Any]]]] = json.loads(result.stdout)
    assert all(set(one) == {NPM_SPEC, NEWER_SPEC} for one in findings)
    return findings


def _get(access_code: dict[str, Any], request: Any = None) -> dict[str, Any]:
    return {
        "route": "/access_codes/get",
        "method": "POST",
        "request": {"access_code_id": CODE["access_code_id"]} if request is None else request,
        "status": 200,
        "response": {"access_code": access_code, "ok": True},
    }


def test_checker_finds_violations() -> None:
    """Missing required fields, a wrong request type, an unknown event type and route are found."""
    without_mutations = {k: v for k, v in CODE.items() if k != "pending_mutations"}
    event = EVENT
    ok, missing, bad_request, old_event, unknown = _check(
        _get(CODE),
        _get(without_mutations),
        _get(CODE, request={"access_code_id": 5}),
        {
            "route": "/events/list",
            "method": "POST",
            "request": {"since": "2026-11-29T09:00:00.000Z"},
            "status": 200,
            "response": {"events": [{**event, "event_type": "access_code.set"}], "ok": True},
        },
        {"route": "/locks/open_sesame", "method": "POST", "request": {}, "status": 200},
    )
    assert ok == []
    assert missing == [
        {
            "direction": "response",
            "path": "access_code.pending_mutations",
            "message": "is required by the spec but missing",
        }
    ]
    assert bad_request == [
        {"direction": "request", "path": "access_code_id", "message": "must be string"}
    ]
    assert old_event == [
        {
            "direction": "response",
            "path": "events[0].event_type",
            "message": '"access_code.set" is not one of the spec\'s values',
        }
    ]
    assert unknown == [
        {
            "direction": "request",
            "path": "(route)",
            "message": "/locks/open_sesame is not a route of the spec",
        }
    ]


def test_listed_departures_are_marked() -> None:
    """A finding listed in contract-departures.json carries its reason instead of failing."""
    [findings] = _check(_get({**CODE, "device_id": "august_device_1"}))
    [finding] = findings
    assert finding["path"] == "access_code.device_id"
    assert "UUIDs" in finding["departure"]


def test_report_fails_only_on_unlisted_findings(tmp_path: Path) -> None:
    """The session report counts exchanges, and only unlisted findings are violations."""
    log = tmp_path / "contract.jsonl"
    finding = {"direction": "response", "path": "access_codes[3].pending_mutations"}
    lines = [
        {"route": "/devices/list", "status": 200},
        {
            "route": "/access_codes/list",
            "status": 200,
            "findings": [
                {**finding, "message": "is required by the spec but missing"},
                {**finding, "message": "x", "departure": "listed"},
            ],
        },
    ]
    log.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    report = ContractReport.read(log)
    assert report.checked == 2
    assert list(report.violations) == [
        "/access_codes/list response (HTTP 200): access_codes[*].pending_mutations "
        "is required by the spec but missing"
    ]
    assert sum(report.departures.values()) == 1
    assert report.lines()[0].startswith("contract: 2 Seam API exchanges checked")


def test_newer_spec_knows_what_npm_does_not() -> None:
    """What 1.1038.0 added is found against npm's 1.977.0 only, and both are checked."""
    with_new_error = {
        **CODE,
        "errors": [{"error_code": "failed_to_issue", "message": "m", "is_access_code_error": True}],
    }
    issued = {**EVENT, "event_type": "access_code.issued", "code": "123456"}
    error, event = _check_each(
        _get(with_new_error),
        {
            "route": "/events/list",
            "method": "POST",
            "request": {"since": "2026-11-29T09:00:00.000Z"},
            "status": 200,
            "response": {"events": [issued], "ok": True},
        },
    )
    assert error[NEWER_SPEC] == []
    assert [f["path"] for f in error[NPM_SPEC]] == ["access_code.errors[0].error_code"]
    assert event[NEWER_SPEC] == []
    assert [f["path"] for f in event[NPM_SPEC]] == ["events[0].event_type"]


async def test_the_check_sees_the_bytes_the_client_received(sandbox: Sandbox) -> None:
    """The contract log holds each response exactly as the client received it (nothing
    rewrites a response after the sandbox's handlers), so the check validates those bytes."""
    log = Path(os.environ[ENV_VAR])
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{sandbox.url}/access_codes/list",
            json={"device_id": "salto_lock_front_door"},
            headers={"Authorization": f"Bearer {sandbox.api_key}"},
        ) as response,
    ):
        received = (await response.read()).decode()
        request_id = response.headers["seam-request-id"]
    assert request_id

    def logged() -> bool:
        lines = log.read_text(encoding="utf-8").splitlines()
        return any(
            entry["route"] == "/access_codes/list" and entry["response"] == received
            for entry in (json.loads(line) for line in lines if line)
        )

    # The sandbox appends the exchange once the response has left.
    for _ in range(50):
        if await asyncio.to_thread(logged):
            break
        await asyncio.sleep(0.1)
    assert await asyncio.to_thread(logged)
    assert json.loads(received)["pagination"]["has_next_page"] is False
