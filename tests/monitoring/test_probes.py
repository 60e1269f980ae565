"""/healthz and /readyz: for load balancers, without sign-in, secrets or stack traces."""

from __future__ import annotations

import pytest
from django.urls import reverse

REDIS_DOWN = "redis://127.0.0.1:1/0"  # port 1: nothing listens


def test_the_urls_are_at_the_root_without_a_slash():
    assert (reverse("healthz"), reverse("readyz")) == ("/healthz", "/readyz")


def test_healthz_answers_ok_without_touching_the_database(client):
    # No django_db mark: any query would fail this test.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"]


def test_healthz_never_loads_the_session_a_probe_carries(client):
    # No django_db mark: a session read from the database would fail this test.
    client.cookies["sessionid"] = "a-session-key-that-would-need-the-database"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies


def test_healthz_refuses_other_methods(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_readyz_is_ready_when_the_database_and_cache_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


@pytest.mark.django_db
def test_readyz_is_503_when_the_cache_is_down(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": REDIS_DOWN}}
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "cache unavailable",
                               "failed": ["cache"]}
    assert "Connection refused" not in response.content.decode()  # the log says why, not the probe


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/healthz", "/readyz"])
def test_probes_need_no_sign_in_even_when_everything_else_does(client, settings, url):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE,
                           "django.contrib.auth.middleware.LoginRequiredMiddleware"]
    assert client.get(url).status_code == 200
    assert client.get("/dashboard/").status_code == 302  # the middleware does apply elsewhere
