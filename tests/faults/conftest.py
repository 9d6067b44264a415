import pytest

from tests.faults.web import Web, web_through_proxies


@pytest.fixture
def web(transactional_db, tmp_path, shop, catalog) -> Web:
    """The web process on the test database (rows a test writes are committed), through proxies."""
    with web_through_proxies(tmp_path) as server:
        yield server
