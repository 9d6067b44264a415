"""Helpers for the CRM tests (`make_appointment` is in the root conftest.py)."""

import pytest

from crm.selectors import shop_phone_region_forget


@pytest.fixture(autouse=True)
def _fresh_region_cache():
    # A rolled-back test Shop sends no signal; never let its region leak into the next test.
    shop_phone_region_forget()
    yield
    shop_phone_region_forget()
