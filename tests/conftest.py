"""Shared test settings: hypothesis profiles.

Locally hypothesis explores new examples each run; with ``CI`` set the "ci" profile runs the
same, derandomized examples every time, so a red CI is reproducible and never flaky. Pick a
profile explicitly with ``HYPOTHESIS_PROFILE=dev`` (or ``ci``, or ``deep`` for a long search
with ten times the examples before a release).
"""

from __future__ import annotations

import os

import pytest
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


# -- ledger store databases ------------------------------------------------------------------
# ``store_url`` gives each test an empty ledger database: a SQLite file in tmp_path, and, for
# the tests marked to run on both, the PostgreSQL server named by RECIPROCITY_TEST_POSTGRES_URL
# (start one with `bash tools/postgres.sh`). Without it the PostgreSQL cases skip with the
# reason, except in CI (CI set), where a missing server is a failure.

POSTGRES_ENV = "RECIPROCITY_TEST_POSTGRES_URL"
_STORE_TABLES = ("reciprocity_members", "reciprocity_effects", "reciprocity_events",
                 "reciprocity_program_versions", "reciprocity_program_state",
                 "reciprocity_snapshots", "reciprocity_alembic_version")


def _no_postgres(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the PostgreSQL tests (.ci/run starts a server)")
    pytest.skip(f"{reason}; start one with: export {POSTGRES_ENV}=$(bash tools/postgres.sh)")


def postgres_url() -> str:
    """The URL of an empty PostgreSQL ledger database, or skip (fail in CI)."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        _no_postgres(f"no PostgreSQL server: {POSTGRES_ENV} is not set")
        raise AssertionError("unreachable")
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            for table in _STORE_TABLES:
                connection.execute(text(f"DROP TABLE IF EXISTS {table} CASCADE"))
        engine.dispose()
    except Exception as exc:  # any failure to reach the server
        _no_postgres(f"PostgreSQL at {POSTGRES_ENV} cannot be reached: {exc}")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    """An empty ledger database: a SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path) + "/ledger.db"
    return postgres_url()
