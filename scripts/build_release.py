"""Build the release zip HACS installs: the files of custom_components/seam at the zip's root.

Usage: python3 scripts/build_release.py [--tag vX.Y.Z] [--out DIR]
Writes DIR/<hacs.json "filename"> (default DIR: dist). With --tag (the release workflow passes the
pushed tag), the tag must be "v" + manifest.json's "version", and CHANGELOG.md must have a section
"## X.Y.Z": its text is written to DIR/release-notes.md for the GitHub release.
The zip is reproducible: sorted entries, fixed timestamps, no __pycache__.
Standard library only (the release workflow runs it with the runner's Python).
"""

import argparse
import json
from pathlib import Path
import re
import sys
import zipfile

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "seam"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def integration_files() -> list[Path]:
    """Every file of the integration except bytecode, sorted."""
    return sorted(
        path
        for path in INTEGRATION.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )


def release_notes(version: str) -> str:
    """The text of CHANGELOG.md's section for `version` (empty if it has none)."""
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(version)}\b.*?\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    return match.group(1).strip() + "\n" if match else ""


def main() -> int:
    """Build the zip; 1 with a message on stderr when the tag does not fit."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", help="the release tag, v<manifest version>")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    args = parser.parse_args()

    hacs = json.loads((ROOT / "hacs.json").read_text(encoding="utf-8"))
    version = json.loads((INTEGRATION / "manifest.json").read_text(encoding="utf-8"))["version"]
    if args.tag is not None:
        if args.tag != f"v{version}":
            print(
                f"Tag {args.tag} does not match manifest.json's version {version}: "
                f"tag v{version}, or change the version in manifest.json first.",
                file=sys.stderr,
            )
            return 1
        notes = release_notes(version)
        if not notes:
            print(
                f'CHANGELOG.md has no section "## {version}": rename "## Unreleased" first.',
                file=sys.stderr,
            )
            return 1
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / hacs["filename"]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in integration_files():
            info = zipfile.ZipInfo(path.relative_to(INTEGRATION).as_posix(), FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    if args.tag is not None:
        (args.out / "release-notes.md").write_text(notes, encoding="utf-8")
    print(f"{target} ({version}, {len(integration_files())} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
