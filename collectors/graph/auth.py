"""App-only tokens from the identity platform through msal, one msal app per GraphClient."""

from __future__ import annotations

import re
import threading
from typing import Any

import msal
from msal.exceptions import MsalServiceError

from m365admin.texts import Message, message

from .config import GraphConfig
from .errors import GraphAuthError, GraphError
from .http import MsalHttpClient

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
_AADSTS = re.compile(r"AADSTS\d+")


class TokenProvider:
    """Hands out a cached access token; thread-safe.

    The msal app is built on first use, not in GraphClient(): msal fetches the authority's
    discovery document at construction, and a client should be creatable while offline.
    """

    def __init__(self, config: GraphConfig, http_client: MsalHttpClient) -> None:
        self._config = config
        self._http_client = http_client
        self._app: msal.ConfidentialClientApplication | None = None
        self._current: str | None = None
        # Serialises token fetches so a burst of threads causes one token POST, not ten.
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:
            try:
                app = self._application()
                result = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
            except (GraphError, ValueError, MsalServiceError) as exc:
                raise self._error("", _reason(exc), exc) from exc
            if "access_token" not in result:
                raise self._error(
                    str(result.get("error") or "unknown_error"), _description(result), None
                )
            self._current = str(result["access_token"])
            return self._current

    def drop(self, rejected: str) -> None:
        """Forget a token Graph refused, unless another thread already replaced it."""
        with self._lock:
            if self._app is not None and rejected == self._current:
                self._app.remove_tokens_for_client()
                self._current = None

    def _application(self) -> msal.ConfidentialClientApplication:
        if self._app is None:
            self._app = msal.ConfidentialClientApplication(
                self._config.client_id,
                client_credential=self._config.client_secret,
                authority=self._config.authority,
                instance_discovery=False,  # never call login.microsoftonline.com for aliases
                http_client=self._http_client,
            )
        return self._app

    def _error(self, code: str, reason: Message, cause: BaseException | None) -> GraphAuthError:
        status = cause.status if isinstance(cause, GraphError) else None
        said = f"{code} {reason}" if code else reason
        # Defence in depth: no server text may ever echo the secret into our logs. (Secrets are
        # ~40 characters; masking a toy one of a few letters would garble the message.)
        if isinstance(said, str) and len(self._config.client_secret) >= 8:
            said = said.replace(self._config.client_secret, "***")
        return GraphAuthError(
            message("graph.no_token", tenant=self._config.tenant_id,
                    authority=self._config.authority, reason=said),
            status=status, code=code, url=self._config.authority,
        )


def _description(result: dict[str, Any]) -> str:
    """'AADSTS7000215 Invalid client secret provided.' from msal's error result."""
    lines = str(result.get("error_description") or "").splitlines()
    first = lines[0] if lines else ""
    match = _AADSTS.search(first)
    codes = result.get("error_codes") or []
    aadsts = match.group(0) if match else (f"AADSTS{codes[0]}" if codes else "")
    text = first.split(":", 1)[1].strip() if match and ":" in first else first
    return f"{aadsts} {text}".strip()


def _reason(exc: BaseException) -> Message:
    if isinstance(exc, GraphError):
        return exc.text
    # msal's ValueErrors name the discovery URL and status; keep them to one line.
    return f"{type(exc).__name__}: {exc}"
