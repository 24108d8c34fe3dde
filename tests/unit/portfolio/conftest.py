"""Real bundled closes (skfolio's 20 S&P 500 stocks), three years to 2022-12-28."""

from __future__ import annotations

import pytest
from skfolio.datasets import load_sp500_dataset


@pytest.fixture(scope="session")
def closes():
    return load_sp500_dataset().iloc[-756:]
