import os

import pytest


@pytest.fixture
def data_key():
    return os.urandom(32)
