"""Build translations/en.json from strings.json as Home Assistant's translation build does.

strings.json may reference other texts as ``[%key:common::...%]`` (Home Assistant's common
strings) or ``[%key:component::seam::...%]`` (another text of this integration); Home Assistant
reads translations/en.json as it is, so en.json holds the texts with every reference resolved.

Run ``.venv/bin/python -m tests.translations`` after editing strings.json to rewrite en.json.
"""

import json
from pathlib import Path
import re
from typing import Any

import homeassistant

INTEGRATION = Path(__file__).resolve().parent.parent / "custom_components" / "seam"
# The same pattern as Home Assistant's script/translations (references inside a text, too).
REFERENCE = re.compile(r"\[%key:([a-z0-9_]+(?:::(?:[a-z0-9-_])+)+)%\]")


def _lookup(strings: dict[str, Any], path: list[str]) -> str:
    """The text at a ``::``-separated path (KeyError when there is none)."""
    value: Any = strings
    for part in path:
        value = value[part]
    if not isinstance(value, str):
        raise KeyError("::".join(path))
    return value


def resolve(strings: dict[str, Any]) -> dict[str, Any]:
    """Return strings.json with every reference replaced by its text (recursively)."""
    common = json.loads(Path(homeassistant.__file__).with_name("strings.json").read_text())
    roots = {"common": common["common"], "component": {"seam": strings}}

    def text(value: str, seen: tuple[str, ...] = ()) -> str:
        def substitute(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in seen:
                raise ValueError(f"Circular reference {key}")
            root, *path = key.split("::")
            return text(_lookup(roots[root], path), (*seen, key))

        return REFERENCE.sub(substitute, value)

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        if isinstance(value, str):
            return text(value)
        return value

    resolved: dict[str, Any] = walk(strings)
    return resolved


def english() -> str:
    """translations/en.json as it must be (JSON, two-space indent, a final newline)."""
    strings = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    return json.dumps(resolve(strings), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    (INTEGRATION / "translations" / "en.json").write_text(english(), encoding="utf-8")
