"""Trust boundaries through the Python SDK: `actions.request` cannot leave `/proxy` (a path that
climbs out to the gateway's own API would hand back a stored token), and the gateway refuses
internal destinations for providers an API client defines."""

from __future__ import annotations

import pytest

from scalekit.common.exceptions import ScalekitBadRequestException, ScalekitForbiddenException

CANARY = "ya29.canary-path-traversal"


@pytest.mark.parametrize("path", [
    "/../api/v1/connected_accounts/auth?connection_name=gmail&identifier=victim",
    "/%2e%2e/api/v1/connected_accounts/auth",
    "/gmail/v1/..%2F..%2F..%2Fapi/v1/connected_accounts/auth",
    "/gmail/v1/users/me?x=1",
])
def test_request_paths_stay_under_proxy(client, path):
    actions = client.actions
    actions.get_or_create_connected_account(connection_name="gmail", identifier="victim")
    actions.update_connected_account(connection_name="gmail", identifier="victim",
                                     authorization_details={"oauth_token": {"access_token": CANARY}})
    with pytest.raises(ScalekitBadRequestException) as info:
        actions.request(connection_name="gmail", identifier="victim", path=path)
    assert "path" in info.value.message
    assert CANARY not in str(info.value)


def test_custom_providers_cannot_point_at_internal_hosts(client):
    with pytest.raises(ScalekitForbiddenException) as info:
        client.actions.providers.create_custom_provider(
            display_name="Metadata", proxy_url="http://169.254.169.254/latest", auth_patterns=[{"type": "BEARER"}])
    assert "169.254.169.254" in info.value.message
