import pytest

from monitor.detectors.claims import ClaimEngine


@pytest.fixture(scope="session")
def engine() -> ClaimEngine:
    return ClaimEngine.load()
