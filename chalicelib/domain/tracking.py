"""Tracking numbers citizens can read aloud, type on a phone and get back on any channel.

Format: ``<PREFIX>-<YYMM>-<BODY><CHECK>``, e.g. ``KDR-2611-7K3M9Q3``.

* ``PREFIX``: the city code, 2–5 letters A–Z, so numbers from neighbouring cities never clash.
* ``YYMM``: the month of receipt in WIB (UTC+7, no daylight saving), so an officer sees the age at a glance.
* ``BODY``: 6 characters (30 bits) of Crockford base32 without I, L, O, U — the letters people confuse
  with 1, 0 and V (and U, which Crockford drops to avoid accidental words) never appear, so they can be
  folded back when a citizen types them anyway.
* ``CHECK``: Luhn mod 32 over the whole number (prefix, month and body), which rejects every
  single-character typo and every adjacent transposition except ``0``↔``Z``, before any database read.

The body is derived from a keyed hash (HMAC-SHA256) of a seed (the provider's message id or the web form's
idempotency key), so a redelivered webhook gets the same number and the single conditional write that stores
the case sees a replay, not a new complaint. On a collision with a different seed the store retries with
``attempt + 1``. The key is the stage's secret tracking key (`tracking_key`): seeds are often predictable
(Telegram's update ids count up, an app may send ``loket-0001``), and without the key nobody can compute the
number of someone else's complaint from them. The domain reads no settings: callers pass the key in.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import datetime, timedelta, timezone

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford base32 without I, L, O, U: the characters of the body and the check character."""

BODY_LENGTH = 6
WIB = timezone(timedelta(hours=7), "WIB")
MAX_ATTEMPT = 2**32 - 1

_N = len(ALPHABET)
_INDEX = {char: i for i, char in enumerate(ALPHABET)}
_PREFIX_RE = re.compile(r"[A-Z]{2,5}")
_YYMM_RE = re.compile(r"[0-9]{2}(?:0[1-9]|1[0-2])")
# Everything a citizen may put between the parts: spaces, hyphens and the dashes phones autocorrect
# them to, underscores, dots (also a trailing full stop from a sentence).
_SEPARATORS_RE = re.compile(r"[\s\-_.\u2010-\u2015\u2212]+")
# Typed look-alikes folded back onto the alphabet (only in the month and the body; the prefix is letters).
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
_MAX_INPUT_CHARS = 64
TRACKING_KEY_LABEL = b"aduan:tracking-number:v1"  # domain separation from the secret's other uses
_TAIL_LENGTH = 4 + BODY_LENGTH + 1


def tracking_key(secret: str | bytes) -> bytes:
    """The key of tracking numbers, derived from a stage secret: HMAC-SHA256(secret, TRACKING_KEY_LABEL).

    The label keeps this key apart from every other use of the same secret (session MACs, hashed addresses).
    """
    raw = secret.encode() if isinstance(secret, str) else bytes(secret)
    if not raw:
        raise ValueError("the tracking key needs a non-empty secret")
    return hmac.new(raw, TRACKING_KEY_LABEL, hashlib.sha256).digest()


def new_tracking_number(
    prefix: str, received_at: datetime, seed: bytes, attempt: int = 0, *, key: bytes | None = None
) -> str:
    """Return the tracking number for a complaint received at ``received_at``.

    Deterministic in (prefix, WIB month, seed, attempt, key): retrying a delivery with the same seed yields
    the same number. ``received_at`` must be timezone-aware, because the month boundary depends on it.
    ``key`` (from `tracking_key`) makes the number unguessable from the seed; every issued number must be
    keyed. Without it the plain SHA-256 of the seed is used, fit only for fixtures and examples.
    """
    if not isinstance(prefix, str) or not _PREFIX_RE.fullmatch(prefix):
        raise ValueError(f"tracking prefix must be 2-5 uppercase letters A-Z, got {prefix!r}")
    if not isinstance(received_at, datetime):
        raise TypeError("received_at must be a datetime")
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError("received_at must be timezone-aware (the WIB month depends on it)")
    if not isinstance(seed, bytes | bytearray | memoryview):
        raise TypeError("seed must be bytes (e.g. the provider message id, UTF-8 encoded)")
    seed = bytes(seed)
    if not seed:
        raise ValueError("seed must not be empty: every complaint would get the same number")
    if isinstance(attempt, bool) or not isinstance(attempt, int) or not 0 <= attempt <= MAX_ATTEMPT:
        raise ValueError(f"attempt must be an integer between 0 and {MAX_ATTEMPT}")
    if key is not None and (not isinstance(key, bytes | bytearray) or len(key) < 16):
        raise ValueError("key must be at least 16 bytes (use tracking_key(secret))")

    yymm = received_at.astimezone(WIB).strftime("%y%m")
    material = seed + attempt.to_bytes(4, "big")
    if key is None:
        digest = hashlib.sha256(material).digest()
    else:
        digest = hmac.new(bytes(key), material, hashlib.sha256).digest()
    bits = int.from_bytes(digest[:4], "big") >> 2  # the first 30 bits
    body = "".join(ALPHABET[(bits >> shift) & 0x1F] for shift in range(25, -1, -5))
    return f"{prefix}-{yymm}-{body}{_check_char(prefix, yymm, body)}"


def normalize_tracking_number(text: str) -> str | None:
    """Return the canonical form of what a citizen typed, or None if it is not a valid tracking number.

    Accepts lowercase, spaces or missing dashes, and the look-alikes O→0, I/L→1, U→V in the month and
    body. Returns None for anything malformed or whose check character does not match.
    """
    if not isinstance(text, str) or len(text) > _MAX_INPUT_CHARS:
        return None
    compact = _SEPARATORS_RE.sub("", unicodedata.normalize("NFKC", text).upper())
    if len(compact) < 2 + _TAIL_LENGTH:
        return None
    prefix, yymm, tail = (
        compact[:-_TAIL_LENGTH],
        compact[-_TAIL_LENGTH : -_TAIL_LENGTH + 4].translate(_LOOKALIKES),
        compact[-BODY_LENGTH - 1 :].translate(_LOOKALIKES),
    )
    if not _PREFIX_RE.fullmatch(prefix) or not _YYMM_RE.fullmatch(yymm):
        return None
    if any(char not in _INDEX for char in tail):
        return None
    body, check = tail[:-1], tail[-1]
    if _check_char(prefix, yymm, body) != check:
        return None
    return f"{prefix}-{yymm}-{tail}"


def is_valid_tracking_number(text: str) -> bool:
    """True if ``text`` is a tracking number in any spelling `normalize_tracking_number` accepts."""
    return normalize_tracking_number(text) is not None


def _check_char(prefix: str, yymm: str, body: str) -> str:
    """Luhn mod 32 check character over prefix (A=0 … Z=25), month digits and body.

    Prefix letters get their own code points (they may include I, L, O, U, which are outside the
    alphabet); every position still maps injectively into 0..31, so any single substitution is caught.
    """
    code_points = [ord(char) - ord("A") for char in prefix]
    code_points += [_INDEX[char] for char in yymm + body]
    total = 0
    factor = 2  # the rightmost payload character is doubled, since the check character follows it
    for code_point in reversed(code_points):
        addend = factor * code_point
        total += addend // _N + addend % _N
        factor = 3 - factor
    return ALPHABET[(_N - total % _N) % _N]
