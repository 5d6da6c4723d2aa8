"""Copying a citizen's photo or file from the provider's own API host to our storage.

Only the provider's host is ever contacted (the channel module builds the request, and refuses URLs on
other hosts); size and type are checked by the bytes themselves. A failure keeps the message without
its media (logged), rather than losing the complaint. A transient failure (time-out, 429, 5xx) is tried again
at once, twice, before that: the provider's link may be gone by the time a later retry could run.
"""

from __future__ import annotations

import time

from chalicelib.channels.registry import CHANNELS
from chalicelib.domain.messages import InboundMessage
from chalicelib.observability import logger
from chalicelib.services.context import Context
from chalicelib.store.media import EXTENSIONS, MediaStore, detect_type

MAX_MEDIA_BYTES = 5 * 1024 * 1024
ACCEPTED = frozenset(EXTENSIONS)
RETRY_PAUSES = (0.2, 1.0)  # seconds before the second and third try of a transient download failure


def fetch_media(ctx: Context, case_id: str, message: InboundMessage) -> tuple[str | None, str | None]:
    if message.media_id and message.media_id.startswith("store:"):  # already ours (web form upload)
        return message.media_id.removeprefix("store:"), message.media_type
    from chalicelib.channels.http import TooLargeResponse, TransportError
    from chalicelib.channels.http import perform as perform_once

    def perform(request, **kwargs):
        """One download, tried again after a transient failure (a time-out, 429 or 5xx)."""
        for pause in (*RETRY_PAUSES, None):
            try:
                response = perform_once(request, **kwargs)
            except TransportError:
                if pause is None:
                    raise
            else:
                if not _transient(response.status) or pause is None:
                    return response
            time.sleep(pause)
        raise AssertionError("unreachable")

    provider = CHANNELS.for_event(message.event_key)
    if provider is None:
        return None, None
    try:
        # Some providers need a lookup first (WhatsApp, Telegram): the module does it with `perform`.
        request = provider.media_download(message.media_id, ctx.channels, perform)
        if request is None:
            return None, None
        response = perform(request, max_bytes=MAX_MEDIA_BYTES)
        if 300 <= response.status < 400:
            # Followed only where the provider vouches for the target (Twilio's CDN); else the file is refused.
            follow = provider.media_redirect(response.headers.get("location", ""), ctx.channels)
            if follow is not None:
                response = perform(follow, max_bytes=MAX_MEDIA_BYTES)
    except (TransportError, TooLargeResponse, ValueError) as error:
        logger.warning("media not fetched", extra={"case_id": case_id, "reason": type(error).__name__})
        return None, None
    kind = detect_type(response.body)
    if response.status != 200 or kind not in ACCEPTED:
        logger.warning("media refused", extra={"case_id": case_id, "status": response.status, "type": kind})
        return None, None
    event_id = message.event_key.replace(":", "-")
    key = _store(MediaStore(ctx.channels), f"media/{case_id}/{event_id}.{EXTENSIONS[kind]}", response.body, kind)
    return key, kind


def _store(store: MediaStore, key: str, data: bytes, kind: str) -> str:
    """Put the file, tried again after a failure (S3 throttling, a time-out): the same key makes a repeated
    put harmless, and the file in hand may not be downloadable again by the time the sweeper retries."""
    for pause in (*RETRY_PAUSES, None):
        try:
            return store.put(key, data, kind)
        except Exception:
            if pause is None:
                raise
            logger.warning("media not stored; trying again", extra={"key": key})
            time.sleep(pause)
    raise AssertionError("unreachable")


def _transient(status: int) -> bool:
    return status == 429 or status >= 500
