"""Suite-wide settings. In CI, Hypothesis runs derandomized: the same generated inputs every run, so a red
build is reproducible and a green one is not luck; locally it keeps exploring new inputs."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
