"""The stacks as the real `__main__.py` declares them, recorded under Pulumi's mocks."""

import pytest

from tools.mock_stack import Recording, record


@pytest.fixture(scope="session")
def dev() -> Recording:
    recording = record("dev")
    assert recording.error is None, recording.error
    return recording


@pytest.fixture(scope="session")
def prod() -> Recording:
    recording = record("prod")
    assert recording.error is None, recording.error
    return recording


@pytest.fixture(scope="session", params=["dev", "prod"])
def stack(request) -> Recording:
    return request.getfixturevalue(request.param)
