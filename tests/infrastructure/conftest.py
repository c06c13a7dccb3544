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


@pytest.fixture(params=["dev", "prod"])
def stack(request) -> Recording:
    """Each stack's recording (made once per session). Function-scoped on purpose: a parametrized session fixture
    makes pytest regroup the tests by stack, listing each file two or three times."""
    return request.getfixturevalue(request.param)
