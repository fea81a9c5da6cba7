"""Shared fixtures for the core tests and the plugins' tests (tests/fixtures.py)."""

pytest_plugins = ["tests.fixtures"]
