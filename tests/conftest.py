"""Suite-wide settings. In CI, Hypothesis runs derandomized: the same generated inputs every run, so a red
build is reproducible and a green one is not luck; locally it keeps exploring new inputs.

At the end, the time each part of the suite took (unit, integration, e2e, packaging) is printed: the unit
suite's time is a figure the project watches (it should stay well below four minutes on a 2-core machine)."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


_SUITE_SECONDS: defaultdict[str, float] = defaultdict(float)
_SUITE_TESTS: defaultdict[str, int] = defaultdict(int)


def _suite_of(nodeid: str) -> str:
    parts = Path(nodeid.split("::")[0]).parts
    return parts[1] if len(parts) > 2 and parts[0] == "tests" else "other"


def pytest_runtest_logreport(report) -> None:
    """Add each phase's time (set-up, call, tear-down: fixtures included) to its part of the suite."""
    suite = _suite_of(report.nodeid)
    _SUITE_SECONDS[suite] += report.duration
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _SUITE_TESTS[suite] += 1


def pytest_terminal_summary(terminalreporter) -> None:
    if not _SUITE_SECONDS:
        return
    terminalreporter.section("time per part of the suite")
    for suite in sorted(_SUITE_SECONDS, key=lambda name: -_SUITE_SECONDS[name]):
        terminalreporter.write_line(f"{suite} suite: {_SUITE_SECONDS[suite]:.1f} s ({_SUITE_TESTS[suite]} tests)")
