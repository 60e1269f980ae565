"""Behind TLS: the HTTPS redirect spares the probes, and X-Forwarded-Proto is believed only
from TRUSTED_PROXIES."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.1"
PAGE = "/accounts/login/"


@pytest.fixture
def https_on(settings):
    """What HTTPS=True and TRUST_X_FORWARDED_PROTO=True set, behind one trusted proxy."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXIES = [PROXY]


@pytest.mark.parametrize("probe", ["/healthz", "/readyz"])
def test_probes_answer_plain_http_instead_of_redirecting(client, https_on, probe):
    # Load balancers probe backends over plain HTTP: a redirect would mark them all down.
    assert client.get(probe).status_code == 200


def test_pages_over_plain_http_are_redirected_to_https(client, https_on):
    response = client.get(PAGE)
    assert response.status_code == 301
    assert response["Location"] == f"https://testserver{PAGE}"


def test_x_forwarded_proto_from_a_trusted_proxy_makes_the_request_secure(client, https_on):
    response = client.get(PAGE, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_x_forwarded_proto_from_anyone_else_is_ignored(client, https_on):
    response = client.get(PAGE, REMOTE_ADDR="192.0.2.9", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301  # still plain HTTP: no claim makes it secure
    assert "Strict-Transport-Security" not in response


def test_a_trusted_proxy_saying_http_is_believed_too(client, https_on):
    response = client.get(PAGE, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="http")
    assert response.status_code == 301
