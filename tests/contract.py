"""The contract check: every Seam API exchange of the test run conforms to Seam's OpenAPI spec.

Every sandbox the tests start inherits ``SEAM_SANDBOX_CONTRACT_LOG`` and checks each request
the client sends and each response it returns against the spec's schemas for that route
(``sandbox/lib/contract.mjs``; spec: npm ``@seamapi/types``, pinned in ``sandbox/package.json``).
At the end of the session, any finding that is not a known departure (listed, with its reason,
in ``sandbox/contract-departures.json``) fails the run, with the route and the JSON path.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import re
import tempfile

ENV_VAR = "SEAM_SANDBOX_CONTRACT_LOG"


@dataclass
class ContractReport:
    """What the sandboxes of one test run checked."""

    checked: int = 0
    violations: Counter[str] = field(default_factory=Counter)
    departures: Counter[str] = field(default_factory=Counter)

    @classmethod
    def read(cls, path: Path) -> ContractReport:
        """Summarise a contract log (one JSON line per checked exchange)."""
        report = cls()
        if not path.exists():
            return report
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            report.checked += 1
            for finding in entry.get("findings", []):
                # Indexes are folded ([*]) so one departure of every listed item is one line.
                path = re.sub(r"\[\d+\]", "[*]", finding["path"])
                text = (
                    f"{entry['route']} {finding['direction']} (HTTP {entry['status']}): "
                    f"{path} {finding['message']}"
                )
                if "departure" in finding:
                    report.departures[text] += 1
                else:
                    report.violations[text] += 1
        return report

    def lines(self) -> list[str]:
        """The summary printed at the end of the run."""
        out = [
            f"contract: {self.checked} Seam API exchanges checked against the OpenAPI spec, "
            f"{sum(self.violations.values())} violations, "
            f"{sum(self.departures.values())} known departures"
        ]
        out.extend(f"  VIOLATION x{count}: {text}" for text, count in self.violations.items())
        return out


def start_log() -> Path:
    """Create an empty log and let every sandbox started from now on write to it."""
    fd, name = tempfile.mkstemp(prefix="seam-contract-", suffix=".jsonl")
    os.close(fd)
    os.environ[ENV_VAR] = name
    return Path(name)


def stop_log(path: Path) -> ContractReport:
    """Read the log, remove it and stop passing it to new sandboxes."""
    report = ContractReport.read(path)
    path.unlink(missing_ok=True)
    if os.environ.get(ENV_VAR) == str(path):
        del os.environ[ENV_VAR]
    return report
