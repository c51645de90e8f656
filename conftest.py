"""Settings for notebook validation (nbval) that pytest cannot take from pyproject.toml."""

from __future__ import annotations

import pytest

# nbval waits a fixed 5 s for each output message, which flakes on a busy machine
# (nbval issues #136 and #231); a cell's own timeout (--nbval-cell-timeout) still applies.
OUTPUT_TIMEOUT = 60


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if hasattr(item, "output_timeout"):
            item.output_timeout = OUTPUT_TIMEOUT
