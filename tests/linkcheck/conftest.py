"""Fixtures of the link-checker tests: a loopback server and a config made for it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from kmgraph.linkcheck.config import CheckConfig
from tests.linkcheck.server import LoopbackServer


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    """A loopback HTTP server on 127.0.0.1 and a free port, stopped after the test.

    These tests need loopback: the checker refuses private and loopback addresses by
    default, so every config used against this server passes ``exclude_private=False``
    (see :func:`loopback_config`). No test touches the internet.
    """
    srv = LoopbackServer().start()
    try:
        yield srv
    finally:
        srv.stop()


def loopback_config(**changes: object) -> CheckConfig:
    """A fast config for the loopback server: ``exclude_private=False`` (the server is on
    127.0.0.1), no per-host interval, short timeouts and backoff."""
    base = CheckConfig(
        exclude_private=False,
        host_interval=0.0,
        host_concurrency=8,
        timeout=2.0,
        retries=2,
        backoff=0.01,
        url_budget=10.0,
    )
    return replace(base, **changes)  # type: ignore[arg-type]
