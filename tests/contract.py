"""The contract check: every Seam API exchange of the test run conforms to Seam's OpenAPI spec.

Every sandbox the tests start inherits ``SEAM_SANDBOX_CONTRACT_LOG`` and appends each Seam API
exchange to it (request body, status, response body; injected faults excluded). At the end of
the session one ``node sandbox/lib/contract.mjs`` checks every request the client sent and
every response the client received (the bytes written to its socket) against the spec's
schemas for that route, in two versions of the spec: npm ``@seamapi/types`` (pinned in
``sandbox/package.json``) and the newer document from seamapi/types on GitHub
(``sandbox/spec/``). Any finding that is not a known departure (listed, with its reason, in
``sandbox/contract-departures.json``) fails the run, with the spec version, the route and the
JSON path; the departures it allowed are listed too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import re
import shutil
import subprocess
import tempfile
import time

from tests.sandbox import SANDBOX_DIR

ENV_VAR = "SEAM_SANDBOX_CONTRACT_LOG"
CHECKER = SANDBOX_DIR / "lib" / "contract.mjs"
CHECK_TIMEOUT = 600


@dataclass
class ContractReport:
    """What the sandboxes of one test run checked."""

    checked: int = 0
    seconds: float = 0.0
    log_bytes: int = 0
    violations: Counter[str] = field(default_factory=Counter)
    departures: Counter[str] = field(default_factory=Counter)
    # Each listed departure that allowed a finding (its reason's first sentence) -> findings.
    departure_reasons: Counter[str] = field(default_factory=Counter)

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
                spec = f"[spec {finding['spec']}] " if "spec" in finding else ""
                text = (
                    f"{spec}{entry['route']} {finding['direction']} (HTTP {entry['status']}): "
                    f"{path} {finding['message']}"
                )
                if "departure" in finding:
                    report.departures[text] += 1
                    reason = finding["departure"].split(". ")[0]
                    report.departure_reasons[f"{spec}{reason}"] += 1
                else:
                    report.violations[text] += 1
        return report

    def lines(self) -> list[str]:
        """The summary printed at the end of the run."""
        out = [
            f"contract: {self.checked} Seam API exchanges checked against the OpenAPI spec "
            "(npm @seamapi/types and sandbox/spec/), "
            f"{sum(self.violations.values())} violations, "
            f"{sum(self.departures.values())} known departures "
            f"({self.log_bytes / 1e6:.1f} MB checked in {self.seconds:.1f} s)"
        ]
        out.extend(f"  VIOLATION x{count}: {text}" for text, count in self.violations.items())
        out.extend(
            f"  departure allowed x{count}: {reason}"
            for reason, count in sorted(self.departure_reasons.items())
        )
        return out


def start_log() -> Path:
    """Create an empty log and let every sandbox started from now on write to it."""
    fd, name = tempfile.mkstemp(prefix="seam-contract-", suffix=".jsonl")
    os.close(fd)
    os.environ[ENV_VAR] = name
    return Path(name)


def check_log(path: Path) -> ContractReport:
    """Check every exchange in the log against the spec (one node process)."""
    results = path.with_suffix(".results.jsonl")
    try:
        if not path.exists() or path.stat().st_size == 0:
            return ContractReport()
        node = shutil.which("node")
        if node is None:
            report = ContractReport()
            report.violations["the contract checker needs node"] += 1
            return report
        started = time.monotonic()
        run = subprocess.run(
            [node, str(CHECKER), str(path), str(results)],
            capture_output=True,
            text=True,
            check=False,
            timeout=CHECK_TIMEOUT,
        )
        if run.returncode != 0:
            report = ContractReport()
            report.violations[f"the contract checker failed: {run.stderr.strip()}"] += 1
            return report
        report = ContractReport.read(results)
        report.seconds = time.monotonic() - started
        report.log_bytes = path.stat().st_size
        return report
    finally:
        results.unlink(missing_ok=True)


def stop_log(path: Path) -> ContractReport:
    """Check the log, remove it and stop passing it to new sandboxes."""
    if os.environ.get(ENV_VAR) == str(path):
        del os.environ[ENV_VAR]
    try:
        return check_log(path)
    finally:
        path.unlink(missing_ok=True)
