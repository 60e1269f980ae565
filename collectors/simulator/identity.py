"""The identity platform: OIDC discovery and the client-credentials token endpoint."""

from __future__ import annotations

import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from .wire import SimRequest, SimResponse

if TYPE_CHECKING:
    from .tenant import SimTenant

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
TOKEN_LIFETIME = 3599
_DISCOVERY = re.compile(r"^/([^/]+)/+v2\.0/\.well-known/openid-configuration$", re.IGNORECASE)
_TOKEN = re.compile(r"^/([^/]+)/oauth2/v2\.0/token$", re.IGNORECASE)
_AAD_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class AccessToken:
    tenant_id: str
    client_id: str
    expires_at: float  # time.monotonic(): token lifetime is real time, like msal's cache
    roles: frozenset[str] = frozenset()  # the app's consented permissions when issued


class TokenRegistry:
    """Opaque bearer tokens held server-side."""

    def __init__(self) -> None:
        self._tokens: dict[str, AccessToken] = {}
        self._lock = threading.Lock()

    def issue(self, tenant: SimTenant, lifetime: float = TOKEN_LIFETIME) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            # Drop expired tokens so a long demo doesn't grow the table.
            for key in [k for k, v in self._tokens.items() if v.expires_at < now]:
                del self._tokens[key]
            self._tokens[token] = AccessToken(tenant.tenant_id, tenant.client_id, now + lifetime,
                                              frozenset(tenant.permissions))
        return token

    def lookup(self, token: str) -> tuple[AccessToken | None, bool]:
        """(token, expired)."""
        with self._lock:
            found = self._tokens.get(token)
        if found is None:
            return None, False
        return found, found.expires_at <= time.monotonic()

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def expire_all(self, tenant_id: str | None = None) -> None:
        with self._lock:
            for key, value in list(self._tokens.items()):
                if tenant_id is None or value.tenant_id == tenant_id.lower():
                    self._tokens[key] = AccessToken(value.tenant_id, value.client_id, 0.0,
                                                    value.roles)


def aad_error(status: int, error: str, code: int, description: str,
              request: SimRequest) -> SimResponse:
    """An Entra ID OAuth error, shaped like `token_error_response.json`."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    trace = str(uuid.uuid4())
    text = (f"AADSTS{code}: {description}\r\nTrace ID: {trace}\r\n"
            f"Correlation ID: {request.client_request_id}\r\nTimestamp: {stamp}")
    return SimResponse(status, json={
        "error": error, "error_description": text, "error_codes": [code], "timestamp": stamp,
        "trace_id": trace, "correlation_id": request.client_request_id,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }, content_type=_AAD_TYPE)


def identity_tenant_key(path: str) -> str | None:
    """The tenant segment of an identity-platform path, if it is one."""
    match = _DISCOVERY.match(path) or _TOKEN.match(path)
    return match.group(1).lower() if match else None


def handle_identity(request: SimRequest, tenant: SimTenant | None, base_url: str,
                    tokens: TokenRegistry) -> SimResponse:
    discovery, token = _DISCOVERY.match(request.path), _TOKEN.match(request.path)
    if not discovery and not token:
        return aad_error(404, "invalid_request", 900561, "Unknown endpoint.", request)
    key = (discovery or token).group(1)  # type: ignore[union-attr]
    if tenant is None:
        return aad_error(400, "invalid_request", 90002,
                         f"Tenant '{key}' not found. Check to make sure you have the correct "
                         "tenant ID and are signing into the correct cloud.", request)
    if discovery:
        if request.method != "GET":
            return aad_error(405, "invalid_request", 900561, "Method not allowed.", request)
        return SimResponse(200, json=_openid_configuration(base_url, tenant.tenant_id),
                           content_type=_AAD_TYPE)
    if request.method != "POST":
        return aad_error(405, "invalid_request", 900561,
                         "The endpoint only accepts POST, OPTIONS requests. Received a GET request.",
                         request)
    return _token(request, tenant, tokens)


def _token(request: SimRequest, tenant: SimTenant, tokens: TokenRegistry) -> SimResponse:
    form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    for name in ("grant_type", "client_id"):
        if not form.get(name):
            return aad_error(400, "invalid_request", 900144, "The request body must contain the "
                             f"following parameter: '{name}'.", request)
    if form["grant_type"] != "client_credentials":
        return aad_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported "
                         f"grant type '{form['grant_type']}'.", request)
    if form["client_id"] != tenant.client_id:
        return aad_error(401, "invalid_client", 700016,
                         f"Application with identifier '{form['client_id']}' was not found in the "
                         f"directory '{tenant.tenant_id}'. This can happen if the application has "
                         "not been installed by the administrator of the tenant or consented to by "
                         "any user in the tenant.", request)
    if not secrets.compare_digest(form.get("client_secret", ""), tenant.client_secret):
        return aad_error(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure "
                         "the secret being sent in the request is the client secret value, not the "
                         f"client secret ID, for a secret added to app '{tenant.client_id}'.", request)
    if form.get("scope", "").split() != [GRAPH_SCOPE]:
        return aad_error(400, "invalid_scope", 70011, "The provided value for the input parameter "
                         f"'scope' is not valid. The scope {form.get('scope', '')} is not valid.",
                         request)
    return SimResponse(200, json={"token_type": "Bearer", "expires_in": TOKEN_LIFETIME,
                                  "ext_expires_in": TOKEN_LIFETIME,
                                  "access_token": tokens.issue(tenant)},
                       content_type=_AAD_TYPE)


def _openid_configuration(base: str, tenant_id: str) -> dict[str, object]:
    root = f"{base}/{tenant_id}"
    return {
        "token_endpoint": f"{root}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                  "client_secret_basic"],
        "jwks_uri": f"{root}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{root}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{base}/oidc/userinfo",
        "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
        "http_logout_supported": True, "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
        "tenant_region_scope": "AS", "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net", "msgraph_host": "graph.microsoft.com",
    }
