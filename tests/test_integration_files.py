"""The integration's metadata files agree with each other and with the code."""

import ast
import json
from pathlib import Path
import re
from typing import Any

import pytest
import yaml

from custom_components.seam.const import DOMAIN
from custom_components.seam.errors import DEFAULT_ERROR_KEY, ERROR_KEYS
from tests.translations import english, resolve

INTEGRATION = Path(__file__).resolve().parent.parent / "custom_components" / DOMAIN

# Every rule of the Integration Quality Scale (Bronze to Platinum).
QUALITY_SCALE_RULES = {
    "action-setup", "appropriate-polling", "brands", "common-modules", "config-flow",
    "config-flow-test-coverage", "dependency-transparency", "docs-actions",
    "docs-conditions", "docs-high-level-description", "docs-installation-instructions",
    "docs-removal-instructions", "docs-triggers",
    "entity-event-setup", "entity-unique-id", "has-entity-name", "runtime-data",
    "test-before-configure", "test-before-setup", "unique-config-entry",
    "action-exceptions", "config-entry-unloading", "docs-configuration-parameters",
    "docs-installation-parameters", "entity-unavailable", "integration-owner",
    "log-when-unavailable", "parallel-updates", "reauthentication-flow", "test-coverage",
    "devices", "diagnostics", "discovery", "discovery-update-info", "docs-data-update",
    "docs-examples", "docs-known-limitations", "docs-supported-devices",
    "docs-supported-functions", "docs-troubleshooting", "docs-use-cases", "dynamic-devices",
    "entity-category", "entity-device-class", "entity-disabled-by-default",
    "entity-translations", "exception-translations", "icon-translations",
    "reconfiguration-flow", "repair-issues", "stale-devices",
    "async-dependency", "inject-websession", "strict-typing",
}  # fmt: skip


def _json(name: str) -> Any:
    return json.loads((INTEGRATION / name).read_text())


def test_english_translation_is_strings_json_resolved() -> None:
    """translations/en.json is what Home Assistant shows: strings.json with its references
    resolved, as Home Assistant's translation build makes it (``python -m tests.translations``).

    Every reference must resolve, and strings.json does use them (no text written twice).
    """
    assert (INTEGRATION / "translations" / "en.json").read_text(encoding="utf-8") == english()
    assert "[%key:" not in (INTEGRATION / "translations" / "en.json").read_text()
    strings = (INTEGRATION / "strings.json").read_text()
    assert "[%key:common::config_flow::error::cannot_connect%]" in strings
    assert "[%key:component::seam::config::step::link_account::description%]" in strings


def test_translation_references_resolve_like_home_assistant() -> None:
    """A reference to a missing text fails, as hassfest fails it; references nest."""
    strings = {
        "a": {
            "b": "Text [%key:component::seam::a::c%]",
            "c": "[%key:common::config_flow::data::name%]",
        }
    }
    assert resolve(strings) == {"a": {"b": "Text Name", "c": "Name"}}
    with pytest.raises(KeyError):
        resolve({"a": "[%key:component::seam::missing::text%]"})


def test_manifest() -> None:
    """A hub the cloud pushes to (webhook), set up by a config flow, no runtime requirements.

    It serves its dashboard card (http), answers the card's websocket commands, and adds the
    card to the dashboards' resources once they are set up (after lovelace).
    """
    manifest = _json("manifest.json")
    assert manifest["domain"] == DOMAIN
    assert manifest["config_flow"] is True
    assert manifest["iot_class"] == "cloud_push"
    assert manifest["dependencies"] == ["http", "webhook", "websocket_api"]
    assert manifest["after_dependencies"] == ["cloud", "lovelace"]
    assert manifest["integration_type"] == "hub"
    assert manifest["requirements"] == []
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])


def test_quality_scale_lists_every_rule_with_a_status() -> None:
    """quality_scale.yaml names every rule; exemptions say why."""
    rules = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text())["rules"]
    assert set(rules) == QUALITY_SCALE_RULES
    for rule, value in rules.items():
        status = value if isinstance(value, str) else value["status"]
        assert status in {"done", "todo", "exempt"}, rule
        if status == "exempt":
            assert value["comment"], rule


def test_every_action_has_strings_icon_and_description() -> None:
    """services.yaml, strings.json and icons.json describe the same actions and fields."""
    services = yaml.safe_load((INTEGRATION / "services.yaml").read_text())
    strings = _json("strings.json")["services"]
    icons = _json("icons.json")["services"]
    assert set(services) == set(strings) == set(icons)
    for name, service in services.items():
        assert strings[name]["name"]
        assert strings[name]["description"]
        assert set(service.get("fields", {})) == set(strings[name].get("fields", {})), name


def _translation_keys_in_code() -> set[str]:
    """Exception translation keys the code raises: literals (or either branch of a
    conditional) and those of the client error table."""
    keys: set[str] = {key for _, key in ERROR_KEYS} | {DEFAULT_ERROR_KEY}
    for path in INTEGRATION.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            values = [kw.value for kw in node.keywords if kw.arg == "translation_key"]
            if isinstance(node.func, ast.Name) and node.func.id in {"invalid", "failed"}:
                values.append(node.args[0])
            values.extend(
                branch
                for value in list(values)
                if isinstance(value, ast.IfExp)
                for branch in (value.body, value.orelse)
            )
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    keys.add(value.value)
    return keys


def test_every_raised_translation_key_has_a_message() -> None:
    """An error raised with a translation key that strings.json lacks would show the bare key."""
    strings = _json("strings.json")
    exceptions = strings["exceptions"]
    # Entities' translation keys (e.g. the problem sensor's) are not exceptions'.
    entity_keys = {key for platform in strings["entity"].values() for key in platform}
    keys = _translation_keys_in_code() - entity_keys
    assert {"auth_failed", "update_failed", "cannot_remotely_unlock_salto", "name_invalid"} <= keys
    assert keys <= set(exceptions), keys - set(exceptions)
    assert all(exceptions[key]["message"] for key in keys)
