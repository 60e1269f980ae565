"""A short reason for an HTTP transport failure, in words an administrator can act on.

Shared by the Graph client (collectors) and the API health check (monitoring): both report
"[Errno 111] Connection refused" rather than a page of urllib3's nested exceptions.
"""

from __future__ import annotations

import re

import requests

_ERRNO = re.compile(r"\[Errno -?\d+\] [^'\")\]]+")


def describe_exception(exc: BaseException) -> str:
    """A short reason for a transport failure, e.g. '[Errno 111] Connection refused'."""
    if isinstance(exc, requests.Timeout):
        return "timed out"
    match = _ERRNO.search(str(exc))
    return match.group(0).strip() if match else type(exc).__name__
