"""Shared helpers: the ADF samples in tests/fixtures/adf/."""

from pathlib import Path

import pytest

ADF_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "adf"


@pytest.fixture
def adf_sample():
    """Bytes of a sample, exactly as the provider wrote it."""
    return lambda name: (ADF_DIR / name).read_bytes()
