"""Shared test set-up: moto's server, AWS credentials for it, Powertools' metric set emptied per test, and the
`chromium` marker's rule (CI fails a browser test it cannot run; a laptop skips it, saying why).

Imports resolve from the repository root (pyproject.toml: pytest's `pythonpath`), as `handlers.<function>`
resolves in the images."""

import os
import socket

import pytest

from tests.browser import chromium_path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_server():
    """moto's server on 127.0.0.1 (thread-safe, unlike the in-process mock under concurrent readers)."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws_endpoint(moto_server, monkeypatch):
    """Point boto3 at a freshly reset moto server, with dummy credentials."""
    import requests

    requests.post(f"{moto_server}/moto-api/reset", timeout=10)
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
