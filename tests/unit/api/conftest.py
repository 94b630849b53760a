import pytest

from tests.unit.api.fixtures import ApiTrial, make_trial


@pytest.fixture
def api_trial(db) -> ApiTrial:
    return make_trial()
