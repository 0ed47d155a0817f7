"""Shared test settings: hypothesis profiles.

Locally hypothesis explores new examples each run; with ``CI`` set the "ci" profile runs the
same, derandomized examples every time, so a red CI is reproducible and never flaky. Pick a
profile explicitly with ``HYPOTHESIS_PROFILE=dev`` (or ``ci``, or ``deep`` for a long search
with ten times the examples before a release).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev", max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("deep", parent=settings.get_profile("dev"), max_examples=800)
settings.register_profile(
    "ci", parent=settings.get_profile("dev"), derandomize=True, database=None, print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI")
                                                                else "dev"))
