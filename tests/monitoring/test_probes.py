"""/healthz and /readyz: for load balancers, without sign-in, secrets or stack traces."""

from __future__ import annotations

import pytest
from django.db import OperationalError
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
    assert response.json() == {"status": "unavailable", "reason": "cache unavailable"}


@pytest.mark.django_db
def test_readyz_is_503_when_the_database_is_down_and_says_nothing_more(client, monkeypatch):
    def refused(using="default"):
        raise OperationalError('connection to server at "10.0.0.5", port 5432 failed: '
                               'password authentication failed for user "m365admin"')

    monkeypatch.setattr("monitoring.views_probes.select_one", refused)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "database unavailable"}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/healthz", "/readyz"])
def test_probes_need_no_sign_in_even_when_everything_else_does(client, settings, url):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE,
                           "django.contrib.auth.middleware.LoginRequiredMiddleware"]
    assert client.get(url).status_code == 200
    assert client.get("/dashboard/").status_code == 302  # the middleware does apply elsewhere
