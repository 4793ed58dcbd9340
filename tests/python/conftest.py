import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from gateway import DevGateway  # noqa: E402


@pytest.fixture(scope="session")
def gateway():
    gw = DevGateway()
    yield gw
    gw.stop()


@pytest.fixture(scope="session")
def gateway_env(gateway):
    return gateway.env


@pytest.fixture
def client(gateway_env):
    import scalekit.client

    return scalekit.client.ScalekitClient(
        client_id=gateway_env["SCALEKIT_CLIENT_ID"],
        client_secret=gateway_env["SCALEKIT_CLIENT_SECRET"],
        env_url=gateway_env["SCALEKIT_ENV_URL"],
    )
