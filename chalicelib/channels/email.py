"""E-mail received through Amazon SES: the receipt event, the MIME message, and the SES reply arguments.

Flow: an SES receipt rule stores the raw message in S3 (key ``<prefix><mail.messageId>``) and then invokes the
Lambda with an event that carries metadata only (headers and verdicts, never the body). `parse_ses_event` reads
that event and says whether SES's spam, virus or DMARC verdict refuses the mail; the caller then fetches the S3
object and gives its bytes to `parse_mime` and `attachments`. Replies go out through SES ``SendEmail`` (an AWS
API call, not a provider HTTP request): `build_send` gives the call's arguments and `send` makes the call, the
one place here that does I/O.

Pure and stdlib only. The e-mail package raises many kinds of errors on hostile input (header parsers, charset
lookups, deep nesting), so the MIME entry points turn any failure into `MalformedPayload`.

Event shape: https://docs.aws.amazon.com/ses/latest/dg/receiving-email-action-lambda-event.html and
https://docs.aws.amazon.com/ses/latest/dg/receiving-email-notifications-contents.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from chalicelib.channels.base import (
    PERMANENT,
    RETRY,
    SENT,
    MalformedPayload,
    Outcome,
    ParsedDelivery,
    Route,
    classify_status,
    no_media,
    no_redirect,
    not_a_webhook,
    sniff_content_type,
)
from chalicelib.domain.messages import InboundMessage, OutboundMessage
from chalicelib.settings import ChannelSettings

if TYPE_CHECKING:
    from chalicelib.domain.case import Case
    from chalicelib.domain.officer import Officer

CHANNEL = "email"
PREFIX = "mail:"
MAX_TEXT = 4000
MAX_SUBJECT = 200
MAX_ID = 200
MAX_ATTACHMENTS = 10
_MAX_BODY_BYTES = 1_000_000
# SES accepts mails up to 40 MB; base64 attachments that size are ~550k lines. The e-mail parser costs ~1.5 µs a
# line, so a mail of bare newlines would otherwise keep a Lambda busy for a minute.
MAX_LINE_BREAKS = 2_000_000
ALLOWED_ATTACHMENT_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "application/pdf"})

# Verdicts that refuse a mail. SPF alone is not one: forwarding breaks SPF, and DMARC already judges alignment.
_REFUSING_VERDICTS = (("spamVerdict", "spam"), ("virusVerdict", "virus"), ("dmarcVerdict", "dmarc"))
_ADDRESS_RE = re.compile(r"[^@\s<>()\[\]\\,;:\"]{1,64}@[^@\s<>()\[\]\\,;:\"]{1,252}\.[^@\s<>()\[\]\\,;:\".]{2,63}")
_MESSAGE_ID_RE = re.compile(r"[A-Za-z0-9._+=-]{1,200}")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# "On Mon, 5 Aug 2019 at 21:29, Budi <budi@example.com> wrote:" (Gmail may wrap it over two lines) and the
# Indonesian Gmail form "Pada tanggal Sen, 5 Agu 2019 pukul 21.29 Budi <budi@example.com> menulis:".
_ATTRIBUTION_START_RE = re.compile(r"^\s*(on|pada)\s", re.IGNORECASE)
_ATTRIBUTION_END_RE = re.compile(r"(wrote|menulis)\s*:\s*$", re.IGNORECASE)
_FORWARD_MARKERS_RE = re.compile(
    r"^\s*-{2,}\s*(original message|pesan asli|forwarded message|pesan yang diteruskan)\s*-{2,}\s*$", re.IGNORECASE
)


@dataclass(frozen=True)
class SesMail:
    """What the SES receipt event says about one received mail, before its body is read from S3."""

    message_id: str  # SES's id: the dedupe key and the S3 object key (after the rule's prefix)
    received_at: datetime
    sender: str  # lowercased address of the From header ("" when SES saw none)
    subject: str | None
    verdict_failed: bool
    reasons: tuple[str, ...]  # "spam", "virus", "dmarc": which verdicts said FAIL

    @property
    def event_key(self) -> str:
        return PREFIX + self.message_id

    def object_key(self, prefix: str = "") -> str:
        """The S3 key the receipt rule's S3 action wrote the raw message to."""
        return prefix + self.message_id


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # detected from the bytes, never the declared type
    data: bytes


# --- the SES receipt event ----------------------------------------------------------------------------------


def parse_ses_event(event: Mapping, *, now: datetime | None = None) -> list[SesMail]:
    """Read the SES receipt event. Records without a message id are dropped; anything else not shaped like an
    SES event raises `MalformedPayload`. A mail's time is ``mail.timestamp``, else ``receipt.timestamp``,
    else ``now``."""
    if not isinstance(event, Mapping):
        raise MalformedPayload("SES event must be an object")
    records = event.get("Records")
    if not isinstance(records, list):
        raise MalformedPayload("SES event has no Records list")
    mails: list[SesMail] = []
    for record in records:
        if not isinstance(record, Mapping):
            raise MalformedPayload("SES record must be an object")
        source = record.get("eventSource", "aws:ses")
        ses = record.get("ses")
        if source != "aws:ses" or not isinstance(ses, Mapping):
            raise MalformedPayload("not an SES receipt event")
        mail, receipt = ses.get("mail"), ses.get("receipt")
        if not isinstance(mail, Mapping) or not isinstance(receipt, Mapping):
            raise MalformedPayload("SES record lacks mail or receipt")
        message_id = mail.get("messageId")
        if not isinstance(message_id, str) or not _MESSAGE_ID_RE.fullmatch(message_id):
            continue  # no usable id: nothing to dedupe on and no S3 key to read
        headers = mail.get("commonHeaders")
        headers = headers if isinstance(headers, Mapping) else {}
        reasons = tuple(
            reason
            for key, reason in _REFUSING_VERDICTS
            if isinstance(receipt.get(key), Mapping) and receipt[key].get("status") == "FAIL"
        )
        mails.append(
            SesMail(
                message_id=message_id,
                received_at=_event_time(mail.get("timestamp"), receipt.get("timestamp"), now),
                # not mail.source: the envelope sender is often a bounce address (prvs=…), not the citizen
                sender=_first_address(headers.get("from")) or "",
                subject=_clean_subject(headers.get("subject")),
                verdict_failed=bool(reasons),
                reasons=reasons,
            )
        )
    return mails


def _event_time(*candidates: object) -> datetime:
    """The first aware ISO 8601 timestamp (SES writes "2019-08-05T21:30:02.028Z"); naive ones are skipped."""
    for value in candidates:
        moment = value
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                continue
        if isinstance(moment, datetime) and moment.tzinfo is not None and moment.utcoffset() is not None:
            try:
                return moment.astimezone(UTC)
            except OverflowError:  # "0001-01-01T00:00:00+05:00" has no UTC moment
                continue
    raise MalformedPayload("SES record has no usable timestamp")


def _first_address(values: object) -> str | None:
    if not isinstance(values, list):
        return None
    for value in values:
        if isinstance(value, str):
            from email.utils import parseaddr

            address = _plain_address(parseaddr(value)[1])
            if address:
                return address
    return None


def _plain_address(value: object) -> str | None:
    if isinstance(value, str) and len(value) <= 254 and _ADDRESS_RE.fullmatch(value.strip()):
        return value.strip().lower()
    return None


def _clean_subject(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(_CONTROL_RE.sub(" ", value).split())
    return text[:MAX_SUBJECT] or None


# --- the MIME message ---------------------------------------------------------------------------------------


def parse_mime(raw: bytes, message_id: str, received_at: datetime) -> InboundMessage:
    """Normalise the raw message SES stored in S3: the sender (the From address, which DMARC vouched for —
    not Reply-To, which anyone can set), the subject, and the citizen's own words without the quoted history."""
    if not isinstance(message_id, str) or not _MESSAGE_ID_RE.fullmatch(message_id):
        raise MalformedPayload("unusable message id")
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError("received_at must be timezone-aware")
    try:
        return _parse_mime(raw, message_id, received_at.astimezone(UTC))
    except MalformedPayload:
        raise
    except Exception as error:  # the e-mail package's failure modes on hostile input are many; see module doc
        raise MalformedPayload("unreadable MIME message") from error


def _parse_mime(raw: bytes, message_id: str, received_at: datetime) -> InboundMessage:
    message = _message(raw)
    name, address = _from_header(message)
    if not address:
        raise MalformedPayload("message has no usable From address")
    subject = message.get("subject")
    return InboundMessage(
        channel=CHANNEL,
        event_key=PREFIX + message_id,
        sender_id=address,
        received_at=received_at,
        kind="text",
        text=_body_text(message),
        sender_name=name,
        email=address,
        reply_to=address,
        subject=_clean_subject(str(subject)) if subject is not None else None,
    )


def _message(raw: bytes):
    import email
    import email.policy

    if not isinstance(raw, bytes | bytearray):
        raise MalformedPayload("raw message must be bytes")
    if raw.count(b"\n") + raw.count(b"\r") > MAX_LINE_BREAKS:
        raise MalformedPayload("too many lines for a mail")  # the parser is line by line; see MAX_LINE_BREAKS
    return email.message_from_bytes(bytes(raw), policy=email.policy.default)


def _from_header(message) -> tuple[str | None, str | None]:
    header = message.get("from")
    if header is None:
        return None, None
    for item in getattr(header, "addresses", ()):
        address = _plain_address(item.addr_spec)
        if address:
            name = " ".join(_CONTROL_RE.sub(" ", item.display_name or "").split())[:200]
            return name or None, address
    from email.utils import parseaddr

    name, address = parseaddr(str(header))
    clean = _plain_address(address)
    return (" ".join(_CONTROL_RE.sub(" ", name).split())[:200] or None, clean) if clean else (None, None)


def _body_text(message) -> str | None:
    part = message.get_body(preferencelist=("plain",))
    if part is not None:
        text = _decoded_text(part)
    else:
        part = message.get_body(preferencelist=("html",))
        if part is None:
            return None
        text = html_to_text(_decoded_text(part))
    text = strip_quoted(text)
    return text[:MAX_TEXT].rstrip() or None


def _decoded_text(part) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    payload = payload[:_MAX_BODY_BYTES]  # a complaint is short; don't spend a Lambda on a 40 MB body
    charset = part.get_content_charset() or "utf-8"
    try:
        text = payload.decode(charset, errors="replace")
    except (LookupError, ValueError):  # unknown or bogus charset name
        text = payload.decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def strip_quoted(text: str) -> str:
    """Drop the reply history mail clients append: ``>`` lines, and everything from an "On … wrote:" /
    "Pada … menulis:" attribution or an "Original Message" marker on. What remains is what the citizen wrote."""
    lines = _CONTROL_RE.sub("", text).split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if _FORWARD_MARKERS_RE.match(line):
            break
        if _ATTRIBUTION_START_RE.match(line):
            joined = line if index + 1 >= len(lines) else line + " " + lines[index + 1]
            if _ATTRIBUTION_END_RE.search(line) or _ATTRIBUTION_END_RE.search(joined):
                break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


class _TextExtractor(HTMLParser):
    """Text of an HTML body: no markup, no scripts or styles, no quoted history (Gmail/Outlook blockquotes)."""

    _SKIP = frozenset({"script", "style", "head", "title", "blockquote", "template", "noscript"})
    _BREAK = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BREAK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag in self._BREAK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self._BREAK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML mail body (html.parser: it never executes or fetches anything). Markup the parser
    chokes on falls back to dropping anything between angle brackets, so a complaint is never lost to bad HTML."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
        text = "".join(extractor.parts)
    except Exception:  # older html.parser versions raise AssertionError on some malformed declarations
        import html as html_module

        text = html_module.unescape(re.sub(r"<[^>]*>", " ", html))
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- attachments --------------------------------------------------------------------------------------------


_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf"}
_FILENAME_UNSAFE_RE = re.compile(r"[^A-Za-z0-9._ -]+")


def attachments(raw: bytes, max_bytes: int = 5_000_000) -> list[Attachment]:
    """The photos and PDFs attached to a message, files first (inline images are often signature logos).

    Only JPEG, PNG, WebP and PDF, recognised by their bytes; larger than ``max_bytes`` or past the tenth are
    skipped. Malformed MIME raises `MalformedPayload`."""
    try:
        return _attachments(raw, max_bytes)
    except MalformedPayload:
        raise
    except Exception as error:  # see module doc
        raise MalformedPayload("unreadable MIME message") from error


def _attachments(raw: bytes, max_bytes: int) -> list[Attachment]:
    message = _message(raw)
    found: list[tuple[bool, int, Attachment]] = []
    for index, part in enumerate(message.walk()):
        if part.is_multipart() or part.get_content_maintype() in ("text", "message"):
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload or len(payload) > max_bytes:
            continue
        detected = sniff_content_type(payload)
        if detected not in ALLOWED_ATTACHMENT_TYPES:
            continue
        inline = part.get_content_disposition() != "attachment"
        found.append(
            (inline, index, Attachment(_safe_filename(part.get_filename(), detected, index), detected, payload))
        )
        if len(found) >= MAX_ATTACHMENTS:
            break
    return [attachment for _, _, attachment in sorted(found, key=lambda item: (item[0], item[1]))]


def _safe_filename(declared: str | None, content_type: str, index: int) -> str:
    """A display name only (storage keys are ours): no path, no control characters, the right extension."""
    extension = _EXTENSIONS[content_type]
    base = (declared or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _FILENAME_UNSAFE_RE.sub("_", base).strip(" ._")[:80]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem or f'lampiran-{index}'}.{extension}"


# --- replies through SES ------------------------------------------------------------------------------------


def ses_send_arguments(to: str, subject: str, text: str, sender: str) -> dict:
    """Keyword arguments for botocore's ``ses.send_email`` (SES API v1 ``SendEmail``), UTF-8 throughout.

    The subject loses line breaks (SES puts it in a header); the address must be a single plain address."""
    recipient = _plain_address(to)
    if recipient is None:
        raise ValueError("recipient must be one plain e-mail address")
    if not isinstance(sender, str) or not sender.strip() or "\n" in sender or "\r" in sender:
        raise ValueError("sender must be an address (optionally with a display name) on one line")
    return {
        "Source": sender.strip(),
        "Destination": {"ToAddresses": [recipient]},
        "Message": {
            "Subject": {"Data": _clean_subject(subject) or "", "Charset": "UTF-8"},
            "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
        },
    }


# SES error codes (botocore ClientError ``Error.Code``) worth another try; every other error is final.
_RETRYABLE_SES_ERRORS = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ServiceUnavailable",
        "InternalFailure",
        "RequestTimeout",
        "AccountSendingPausedException",
        "ConfigurationSetSendingPausedException",
        # botocore exception class names (no API error code): the network failed before SES answered
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "ConnectionClosedError",
    }
)


def classify_ses_error(error: str | BaseException | None) -> str:
    """SENT when SES accepted the mail (no error), RETRY for throttling, outages, network failures and a paused
    account, PERMANENT for the rest (MessageRejected, an unverified sender domain, invalid parameters).

    Takes SES's error code or the exception itself: a read or connect time-out has no `.response`, so its
    class name is its code."""
    code = ses_error_code(error) if isinstance(error, BaseException) else error
    if not code:
        return SENT
    return RETRY if code in _RETRYABLE_SES_ERRORS else PERMANENT


def ses_error_code(error: BaseException) -> str:
    """SES's error code (a ClientError's `Error.Code`), else the exception's class name: network failures
    (time-outs, refused connections) carry no response at all."""
    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return str(code or type(error).__name__)


# --- the provider interface (base.Provider) -----------------------------------------------------------------

verify = not_a_webhook  # SES invokes the Lambda itself (services/email_intake.py): nothing is posted to us
media_download = no_media  # attachments arrive with the mail itself (services/email_intake.py)
media_redirect = no_redirect


def parse(raw_body: bytes, settings: ChannelSettings, *, now: datetime | None = None) -> ParsedDelivery:
    """Mail is not posted to a webhook: SES invokes the Lambda with `parse_ses_event`'s event."""
    raise MalformedPayload("e-mail arrives as an SES receipt event, not as a webhook")


def build_send(recipient: str, text: str, settings: ChannelSettings, *, subject: str = "") -> dict:
    """SendEmail's arguments from the configured sender (`ses_send_arguments`)."""
    return ses_send_arguments(recipient, subject, text, settings.mail_from)


def classify(status: int, body: bytes = b"") -> str:
    """SES's answer as (HTTP status, error code in the body): the code decides, else the status."""
    if 200 <= status < 300:
        return SENT
    code = body.decode("utf-8", "replace").strip()
    return classify_ses_error(code) if code else classify_status(status)


def send(message: OutboundMessage, settings: ChannelSettings) -> Outcome:
    """One SES SendEmail; a refused address or missing sender is final, an SES error is classified."""
    if not settings.mail_from:
        return Outcome(PERMANENT, "mail_from is not configured")
    subject = message.options.get("subject") or f"Laporan {message.case_id or ''}".strip()
    try:
        arguments = build_send(message.recipient, message.body, settings, subject=subject)
    except ValueError as error:  # not one plain address: no retry will fix it
        return Outcome(PERMANENT, str(error))
    from chalicelib.store.aws import ses_client

    try:
        ses_client().send_email(**arguments)
    except Exception as error:  # botocore raises many kinds; `classify_ses_error` decides which are worth a retry
        return Outcome(classify_ses_error(error), ses_error_code(error))
    return Outcome(SENT)


def reply_route(message: InboundMessage) -> Route | None:
    """Answers go to the sender's address, as a reply to their subject."""
    if not message.email:
        return None
    subject = f"Re: {message.subject}" if message.subject else "Laporan Anda"
    return CHANNEL, message.email, {"subject": subject[:200]}


def citizen_route(case: Case) -> Route | None:
    """The reporter's address, when they gave one."""
    if not case.reporter.email:
        return None
    return CHANNEL, case.reporter.email, {"subject": f"Perkembangan laporan {case.case_id}"}


def alert_route(officer: Officer, title: str) -> Route | None:
    """An officer who chose e-mail alerts, at their address, under the alert's title."""
    return (CHANNEL, officer.email, {"subject": title}) if officer.email else None
