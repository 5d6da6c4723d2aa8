"""The one place that talks to provider APIs over HTTP (stdlib urllib: nothing heavy on the cold path).

Responses are size-capped; a network error or timeout is a `TransportError`, which the outbox treats as
"retry later".
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

from chalicelib.channels.base import HttpRequest

DEFAULT_TIMEOUT = 10.0
MAX_RESPONSE_BYTES = 6 * 1024 * 1024


class TransportError(Exception):
    """The provider could not be reached or did not answer in time."""


class TooLargeResponse(Exception):
    """The provider's answer (e.g. a media file) is larger than we accept."""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a provider API never needs one; never follow off-host
        return None


_opener = urllib.request.build_opener(_NoRedirect())


def perform(
    request: HttpRequest, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = MAX_RESPONSE_BYTES
) -> HttpResponse:
    req = urllib.request.Request(request.url, data=request.body or None, headers=request.headers, method=request.method)
    try:
        with _opener.open(req, timeout=timeout) as resp:
            return HttpResponse(resp.status, {k.lower(): v for k, v in resp.headers.items()}, _read(resp, max_bytes))
    except urllib.error.HTTPError as error:
        with error:
            return HttpResponse(error.code, {k.lower(): v for k, v in error.headers.items()}, _read(error, max_bytes))
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
        raise TransportError(f"{type(error).__name__}: {getattr(error, 'reason', error)}") from error


def _read(stream, max_bytes: int) -> bytes:
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TooLargeResponse(f"response larger than {max_bytes} bytes")
    return data
