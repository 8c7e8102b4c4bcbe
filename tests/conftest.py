import pytest

from clsim.envs import get_family


@pytest.fixture(scope="session")
def household():
    return get_family("household")
