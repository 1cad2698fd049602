"""Fixtures most test modules share; a module that needs another lifetime defines its own `server`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from localserver import LocalServer


@pytest.fixture
def server() -> Iterator[LocalServer]:
    """A real HTTP server on 127.0.0.1 for one test."""
    with LocalServer() as local:
        yield local
