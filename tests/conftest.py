"""Shared test set-up: moto's server, AWS credentials for it, Powertools' metric set emptied per test, and the
`chromium` marker's rule (CI fails a browser test it cannot run; a laptop skips it, saying why).

Imports resolve from the repository root (pyproject.toml: pytest's `pythonpath`), as `handlers.<function>`
resolves in the images."""

import os

import pytest

from localrun.emulator import reset_moto, start_moto_server
from tests.browser import chromium_path


@pytest.fixture(scope="session")
def moto_server():
    """moto's server on 127.0.0.1, started as the local run starts it."""
    server, url = start_moto_server()
    yield url
    server.stop()


@pytest.fixture
def aws_endpoint(moto_server, monkeypatch):
    """Point boto3 at a freshly reset moto server, with dummy credentials."""
    reset_moto(moto_server)
    for name, value in {
        "AWS_ENDPOINT_URL": moto_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    return moto_server


@pytest.fixture(autouse=True)
def _empty_powertools_metrics():
    """Powertools keeps metrics in one set shared by every Metrics object in the process; a Lambda container
    starts with it empty, and so does every test (tests that call services directly never flush it)."""
    yield
    from aws_lambda_powertools import Metrics

    Metrics().clear_metrics()


@pytest.fixture
def function_environment(monkeypatch):
    """Set the pipeline functions' environment as the stack sets it (the local run's settings: offline images),
    for bucket `bucket`; `overrides` change variables (None removes one). Returns what was set."""

    def set_environment(bucket: str, **overrides: str | None) -> dict[str, str]:
        from localrun.emulator import local_settings
        from localrun.functions import environment

        values: dict[str, str | None] = {**environment(local_settings(), bucket, dlq_url=""), **overrides}
        for name, value in values.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        return {name: value for name, value in values.items() if value is not None}

    return set_environment


def pytest_runtest_setup(item):
    if item.get_closest_marker("chromium") is None or chromium_path() is not None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(
            "CI=true but Debian's chromium is not installed (.ci/run installs it): "
            "the browser test must run in CI, never be skipped",
            pytrace=False,
        )
    pytest.skip("needs Debian's chromium (apt-get install -y chromium); CI=true makes this a failure")
