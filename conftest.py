"""Shared fixtures for the core tests and the plugins' tests (tests/fixtures.py).

On CI (``CI`` set, as ``.ci/run`` has it) hypothesis draws the same examples on every run, so
a red run is a change's doing and can be replayed; elsewhere it keeps searching afresh, which
is how new failing cases are found (and then pinned as ``@example``)."""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

pytest_plugins = ["tests.fixtures"]
