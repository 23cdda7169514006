"""What HACS (its default-list checklist and action) and hassfest check, as far as it can be checked
offline, and the release zip built as the release workflow builds it (scripts/build_release.py).
"""

import ast
import json
from pathlib import Path
import re
import struct
import subprocess
import sys
from typing import Any
import zipfile

from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import probatio
import yaml

from custom_components.seam.const import DOMAIN

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / DOMAIN
BUILD = ROOT / "scripts" / "build_release.py"
# hacs.json keys HACS accepts (its hacs.json schema rejects others; HACS docs, "hacs.json").
HACS_KEYS = {
    "name", "content_in_root", "zip_release", "filename", "hide_default_branch", "country",
    "homeassistant", "hacs", "persistent_directory", "render_readme",
}  # fmt: skip
IOT_CLASSES = {
    "assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling", "local_push",
}  # fmt: skip
INTEGRATION_TYPES = {"device", "entity", "hardware", "helper", "hub", "service", "system"}
# Keys of an entity action's schema that are its target, not fields of services.yaml.
TARGET_KEYS = {"entity_id", "device_id", "area_id", "floor_id", "label_id"}


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_one_integration_and_the_repository_files_hacs_requires() -> None:
    """HACS: one integration under custom_components/, a README and a LICENSE (Apache-2.0, as
    Home Assistant core) that the README names."""
    integrations = (ROOT / "custom_components").iterdir()
    assert [path.name for path in integrations if path.name != "__pycache__"] == [DOMAIN]
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in license_text
    assert "Version 2.0, January 2004" in license_text
    assert "[LICENSE](LICENSE)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_manifest_as_hassfest_and_hacs_require() -> None:
    """Keys in hassfest's order (domain, name, then alphabetical), and what a custom
    integration must have: an https documentation URL, an issue tracker, GitHub code owners,
    a version Home Assistant's loader can parse, a valid IoT class and integration type."""
    manifest = _json(INTEGRATION / "manifest.json")
    keys = list(manifest)
    hacs_required = {"codeowners", "documentation", "domain", "issue_tracker", "name", "version"}
    assert hacs_required <= set(keys)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:]), "hassfest: domain, name, then alphabetical order"
    assert manifest["domain"] == INTEGRATION.name
    assert manifest["documentation"].startswith("https://")
    assert not manifest["documentation"].startswith("https://www.home-assistant.io/integrations")
    assert manifest["issue_tracker"].startswith("https://")
    assert manifest["codeowners"]
    assert all(owner.startswith("@") for owner in manifest["codeowners"])
    assert AwesomeVersion(manifest["version"]).valid
    assert manifest["iot_class"] in IOT_CLASSES
    assert manifest["integration_type"] in INTEGRATION_TYPES


def test_hacs_json() -> None:
    """Only keys HACS knows; releases as a zip named in `filename`; the minimum Home Assistant
    version is the blueprint's and not newer than the one the tests run on."""
    hacs = _json(ROOT / "hacs.json")
    assert set(hacs) <= HACS_KEYS, set(hacs) - HACS_KEYS
    assert hacs["name"] == _json(INTEGRATION / "manifest.json")["name"]
    assert hacs["zip_release"] is True
    assert re.fullmatch(r"[a-z0-9_]+\.zip", hacs["filename"])
    blueprints = list((ROOT / "blueprints").rglob("*.yaml"))
    assert blueprints
    for blueprint in blueprints:
        text = blueprint.read_text(encoding="utf-8")
        assert f'min_version: "{hacs["homeassistant"]}"' in text, blueprint.name
    assert AwesomeVersion(hacs["homeassistant"]) <= AwesomeVersion(HA_VERSION)


def test_brand_images() -> None:
    """Home Assistant's brand rules: icon.png 256x256 and icon@2x.png 512x512 (PNG); a logo,
    if any, with its shortest side 128-256 px (@2x: 256-512)."""
    brand = INTEGRATION / "brand"
    assert _png_size(brand / "icon.png") == (256, 256)
    assert _png_size(brand / "icon@2x.png") == (512, 512)
    for name, low, high in (("logo.png", 128, 256), ("logo@2x.png", 256, 512)):
        if (brand / name).exists():
            assert low <= min(_png_size(brand / name)) <= high, name
    assert {path.name for path in brand.iterdir()} <= {
        "icon.png", "icon@2x.png", "logo.png", "logo@2x.png",
        "dark_icon.png", "dark_icon@2x.png", "dark_logo.png", "dark_logo@2x.png",
    }  # fmt: skip


def _issue_translation_keys() -> set[str]:
    """The translation keys repair issues can get: issues.py's ISSUE_* constants and the values
    of its tables of translation keys (dicts of string literals)."""
    keys: set[str] = set()
    tree = ast.parse((INTEGRATION / "issues.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if not isinstance(node, ast.Assign) or not isinstance(node.targets[0], ast.Name):
            continue
        name, value = node.targets[0].id, node.value
        if name.startswith("ISSUE_") and isinstance(value, ast.Constant):
            keys.add(value.value)
        elif name.endswith("TRANSLATION_KEYS") and isinstance(value, ast.Dict):
            keys |= {v.value for v in value.values if isinstance(v, ast.Constant)}
    return keys


def test_every_repair_issue_has_its_texts() -> None:
    """Each issue key has a title and a description (or a fix flow's), as hassfest requires;
    strings.json has no issue the code cannot raise. (Exception keys: test_integration_files.)"""
    issues = _json(INTEGRATION / "strings.json")["issues"]
    keys = _issue_translation_keys()
    # push_unavailable is the prefix of the push issue's id; its keys name the reason.
    keys.discard("push_unavailable")
    assert {"account_disconnected", "push_unavailable_no_url"} <= keys
    assert set(issues) == keys
    for key in keys:
        issue = issues[key]
        assert issue["title"], key
        assert issue.get("description") or issue["fix_flow"]["step"], key


def _schema_fields(schema: Any) -> set[str]:
    """The keys of a registered action's schema (an entity action's is inside an All)."""
    if isinstance(schema, probatio.Schema):
        return _schema_fields(schema.schema)
    if isinstance(schema, probatio.All):
        return set().union(*(_schema_fields(validator) for validator in schema.validators))
    if isinstance(schema, dict):
        return {str(key) for key in schema} - {"metadata"}
    return set()


async def test_services_yaml_describes_the_registered_actions(hass: HomeAssistant) -> None:
    """hassfest: services.yaml names exactly the actions the integration registers (at
    setup, before any entry), each with the fields its schema accepts."""
    assert await async_setup_component(hass, DOMAIN, {})
    registered = hass.services.async_services_for_domain(DOMAIN)
    described = yaml.safe_load((INTEGRATION / "services.yaml").read_text(encoding="utf-8"))
    assert set(registered) == set(described)
    for name, action in registered.items():
        fields = _schema_fields(action.schema) - TARGET_KEYS
        assert fields == set(described[name].get("fields") or {}), name
        assert ("target" in described[name]) == bool(_schema_fields(action.schema) & TARGET_KEYS)


def _build(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BUILD), "--out", str(out), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_release_zip_holds_the_integration_at_its_root(tmp_path: Path) -> None:
    """The zip HACS downloads (hacs.json's filename) unpacks into custom_components/seam: the
    integration's files at its root, no bytecode; built twice, byte for byte the same."""
    result = _build(tmp_path / "a")
    assert result.returncode == 0, result.stderr
    filename = _json(ROOT / "hacs.json")["filename"]
    with zipfile.ZipFile(tmp_path / "a" / filename) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
    expected = {
        path.relative_to(INTEGRATION).as_posix()
        for path in INTEGRATION.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert names == expected
    assert {"__init__.py", "manifest.json", "translations/en.json", "brand/icon.png"} <= names
    assert manifest == _json(INTEGRATION / "manifest.json")
    assert _build(tmp_path / "b").returncode == 0
    assert (tmp_path / "a" / filename).read_bytes() == (tmp_path / "b" / filename).read_bytes()


def test_release_tag_must_match_the_manifest_version_and_the_changelog(tmp_path: Path) -> None:
    """On a version tag the release workflow builds with --tag: a tag other than v<version> of
    manifest.json fails with a clear message and builds nothing; so does a version without a
    CHANGELOG.md section. The release notes are that section."""
    version = _json(INTEGRATION / "manifest.json")["version"]
    result = _build(tmp_path, "--tag", "v999.0.0")
    assert result.returncode == 1
    assert f"Tag v999.0.0 does not match manifest.json's version {version}" in result.stderr
    assert not any(tmp_path.iterdir())

    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    result = _build(tmp_path, "--tag", f"v{version}")
    if f"\n## {version}" in changelog:
        assert result.returncode == 0, result.stderr
        notes = (tmp_path / "release-notes.md").read_text(encoding="utf-8")
        assert notes.strip()
        assert notes.strip() in changelog
    else:
        assert result.returncode == 1
        assert f'CHANGELOG.md has no section "## {version}"' in result.stderr


def test_workflows_run_the_local_checks() -> None:
    """CI runs what runs here: scripts/test; hassfest and the HACS action validate; a version tag
    builds the zip with scripts/build_release.py and attaches it to the release."""
    workflows = ROOT / ".github" / "workflows"
    tests = yaml.safe_load((workflows / "tests.yml").read_text(encoding="utf-8"))
    assert any(step.get("run") == "scripts/test" for step in tests["jobs"]["tests"]["steps"])
    validate = (workflows / "validate.yml").read_text(encoding="utf-8")
    assert "home-assistant/actions/hassfest@" in validate
    assert "hacs/action@" in validate
    release = yaml.safe_load((workflows / "release.yml").read_text(encoding="utf-8"))
    # PyYAML reads the key `on` as True.
    assert release[True]["push"]["tags"] == ["v*"]
    steps = [step for job in release["jobs"].values() for step in job["steps"]]
    runs = "\n".join(step.get("run", "") for step in steps)
    assert 'python3 scripts/build_release.py --tag "$GITHUB_REF_NAME"' in runs
    assert "gh release create" in runs
    assert "scripts/test" in runs


def test_changelog_lists_changes_newest_first() -> None:
    """CHANGELOG.md: an Unreleased section first, then versions, newest first; the changes
    that need automations edited are there."""
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    sections = re.findall(r"^## (.+)$", text, re.M)
    assert sections[0] == "Unreleased"
    versions = [AwesomeVersion(s.split()[0]) for s in sections[1:]]
    assert versions == sorted(versions, reverse=True)
    assert "seam.get_access_code" in text
