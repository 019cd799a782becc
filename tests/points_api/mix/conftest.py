from __future__ import annotations

import pytest

from tests.points_api.mix.plant import Plant, build


@pytest.fixture(scope="package")
async def plant(gw) -> Plant:
    """plant.py's small plant, built once for the tests of this folder."""
    return await build(gw)
