"""pytest configuration for the whole repository (unit tests in tests/, nbval on notebooks/)."""

from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Under ``pytest-xdist --dist loadgroup`` (``make test``): every cell of a notebook goes to
    one worker, in order, on one kernel (nbval needs that), while unit tests are spread one by
    one, so a file of slow tests does not hold a worker alone."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.xdist_group(item.path.stem))
