import pytest

from tests.unit.api.fixtures import ApiTrial, make_trial
from tests.unit.api.import_world import World, make_world


@pytest.fixture
def api_trial(db) -> ApiTrial:
    return make_trial()


@pytest.fixture
def world(db) -> World:
    return make_world()
