"""E-mail through SES: the receipt event, the MIME message from S3, attachments, and the SendEmail arguments.

The event fixture is the documented Lambda-action event record ("Sample incoming email event",
https://docs.aws.amazon.com/ses/latest/dg/receiving-email-action-lambda-event.html); verdict values follow
"Contents of notifications for Amazon SES email receiving"
(https://docs.aws.amazon.com/ses/latest/dg/receiving-email-notifications-contents.html). The SendEmail
arguments follow the SES API v1 ``SendEmail`` request as botocore's ``ses.send_email`` takes it.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.channels import email as mail
from chalicelib.channels.base import PERMANENT, RETRY, SENT, MalformedPayload
from chalicelib.domain.messages import InboundMessage

NOW = datetime(2026, 11, 3, 2, 15, tzinfo=UTC)
MESSAGE_ID = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489") + b"\x00" * 16
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48


def ses_event(**receipt_overrides: Any) -> dict[str, Any]:
    """The documented Lambda-action event (headers list shortened; every field we read is as documented)."""
    event = {
        "Records": [
            {
                "eventSource": "aws:ses",
                "eventVersion": "1.0",
                "ses": {
                    "mail": {
                        "timestamp": "2019-08-05T21:30:02.028Z",
                        "source": "prvs=144d0cba7=sender@example.com",
                        "messageId": MESSAGE_ID,
                        "destination": ["recipient@example.com"],
                        "headersTruncated": False,
                        "headers": [
                            {"name": "Return-Path", "value": "<prvs=144d0cba7=sender@example.com>"},
                            {"name": "X-SES-Spam-Verdict", "value": "PASS"},
                            {"name": "X-SES-Virus-Verdict", "value": "PASS"},
                            {"name": "From", "value": '"Doe, John" <sender@example.com>'},
                            {"name": "To", "value": '"recipient@example.com" <recipient@example.com>'},
                            {"name": "Subject", "value": "This is a test"},
                        ],
                        "commonHeaders": {
                            "returnPath": "prvs=144d0cba7=sender@example.com",
                            "from": ['"Doe, John" <sender@example.com>'],
                            "date": "Mon, 5 Aug 2019 21:29:57 +0000",
                            "to": ['"recipient@example.com" <recipient@example.com>'],
                            "messageId": "<F8098FDD-49A3-442D-9935-F6112B195BDA@example.com>",
                            "subject": "This is a test",
                        },
                    },
                    "receipt": {
                        "timestamp": "2019-08-05T21:30:02.028Z",
                        "processingTimeMillis": 1205,
                        "recipients": ["recipient@example.com"],
                        "spamVerdict": {"status": "PASS"},
                        "virusVerdict": {"status": "PASS"},
                        "spfVerdict": {"status": "PASS"},
                        "dkimVerdict": {"status": "PASS"},
                        "dmarcVerdict": {"status": "GRAY"},
                        "action": {
                            "type": "Lambda",
                            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:IncomingEmail",
                            "invocationType": "Event",
                        },
                    },
                },
            }
        ]
    }
    event["Records"][0]["ses"]["receipt"].update(receipt_overrides)
    return event


def mime(
    text: str | None = "Jalan berlubang di depan Pasar Setono Betek, sudah dua minggu.",
    *,
    html: str | None = None,
    sender: str = '"Budi Santoso" <Budi.Santoso@Example.co.id>',
    subject: str = "Jalan rusak di Jl. Dhoho",
    files: tuple[tuple[str, str, bytes, str], ...] = (),
) -> bytes:
    """A message as a mail client builds it; ``files`` are (filename, declared type, bytes, disposition)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "aduan@kedirikota.go.id"
    message["Subject"] = subject
    message["Message-ID"] = "<abc@example.co.id>"
    if text is not None:
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    for filename, declared, data, disposition in files:
        maintype, subtype = declared.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename, disposition=disposition)
    return message.as_bytes()


def parse(raw: bytes) -> InboundMessage:
    return mail.parse_mime(raw, MESSAGE_ID, NOW)


# -- the SES receipt event --------------------------------------------------------------------------------


def test_given_the_documented_lambda_event_when_parsed_then_id_time_sender_and_subject_are_read() -> None:
    (received,) = mail.parse_ses_event(ses_event())

    assert received.message_id == MESSAGE_ID
    assert received.event_key == "mail:" + MESSAGE_ID
    assert received.received_at == datetime(2019, 8, 5, 21, 30, 2, 28000, tzinfo=UTC)
    assert received.sender == "sender@example.com"
    assert received.subject == "This is a test"
    assert received.verdict_failed is False
    assert received.reasons == ()
    assert received.object_key("inbound/") == "inbound/" + MESSAGE_ID


@pytest.mark.parametrize(
    ("verdict", "reason"), [("spamVerdict", "spam"), ("virusVerdict", "virus"), ("dmarcVerdict", "dmarc")]
)
def test_given_a_failing_spam_virus_or_dmarc_verdict_when_parsed_then_the_mail_is_refused(verdict, reason) -> None:
    (received,) = mail.parse_ses_event(ses_event(**{verdict: {"status": "FAIL"}}))

    assert received.verdict_failed is True
    assert received.reasons == (reason,)


def test_given_several_failing_verdicts_when_parsed_then_every_reason_is_given() -> None:
    (received,) = mail.parse_ses_event(ses_event(spamVerdict={"status": "FAIL"}, virusVerdict={"status": "FAIL"}))

    assert received.reasons == ("spam", "virus")


@pytest.mark.parametrize("status", ["GRAY", "PROCESSING_FAILED", "DISABLED"])
def test_given_an_undecided_or_disabled_verdict_when_parsed_then_the_mail_is_kept(status) -> None:
    event = ses_event(spamVerdict={"status": status}, virusVerdict={"status": status}, dmarcVerdict={"status": status})

    (received,) = mail.parse_ses_event(event)

    assert received.verdict_failed is False


def test_given_only_spf_failed_when_parsed_then_the_mail_is_kept_because_dmarc_judges_alignment() -> None:
    (received,) = mail.parse_ses_event(ses_event(spfVerdict={"status": "FAIL"}))

    assert received.verdict_failed is False


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "2019-08-05T21:30:02"])
def test_given_an_unusable_timestamp_when_parsed_then_the_next_source_of_time_is_used(stamp) -> None:
    event = ses_event(timestamp=stamp)
    event["Records"][0]["ses"]["mail"]["timestamp"] = stamp

    assert mail.parse_ses_event(event, now=NOW)[0].received_at == NOW


def test_given_a_record_without_message_id_when_parsed_then_it_is_dropped() -> None:
    event = ses_event()
    del event["Records"][0]["ses"]["mail"]["messageId"]

    assert mail.parse_ses_event(event) == []


def test_given_no_timestamp_in_mail_when_parsed_then_the_receipt_time_and_then_now_are_used() -> None:
    event = ses_event()
    del event["Records"][0]["ses"]["mail"]["timestamp"]
    assert mail.parse_ses_event(event)[0].received_at == datetime(2019, 8, 5, 21, 30, 2, 28000, tzinfo=UTC)

    del event["Records"][0]["ses"]["receipt"]["timestamp"]
    assert mail.parse_ses_event(event, now=NOW)[0].received_at == NOW
    with pytest.raises(MalformedPayload):
        mail.parse_ses_event(event)


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"Records": {}},
        {"Records": [None]},
        {"Records": [{"eventSource": "aws:s3", "s3": {}}]},
        {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": "{}"}}]},
        {"Records": [{"eventSource": "aws:ses", "ses": {"mail": {"messageId": "x"}}}]},
        [],
        "Records",
    ],
)
def test_given_an_event_that_is_not_an_ses_receipt_when_parsed_then_it_is_malformed(event) -> None:
    with pytest.raises(MalformedPayload):
        mail.parse_ses_event(event)


# -- the MIME message -------------------------------------------------------------------------------------


def test_given_a_plain_text_mail_when_parsed_then_sender_subject_and_text_are_normalised() -> None:
    message = parse(mime())

    assert message.channel == "email"
    assert message.event_key == "mail:" + MESSAGE_ID
    assert message.sender_id == "budi.santoso@example.co.id"
    assert message.email == "budi.santoso@example.co.id"
    assert message.reply_to == "budi.santoso@example.co.id"
    assert message.sender_name == "Budi Santoso"
    assert message.subject == "Jalan rusak di Jl. Dhoho"
    assert message.text == "Jalan berlubang di depan Pasar Setono Betek, sudah dua minggu."
    assert message.kind == "text"
    assert message.received_at == NOW


def test_given_a_reply_to_header_when_parsed_then_the_answer_still_goes_to_the_from_address() -> None:
    raw = mime().replace(b"To: ", b"Reply-To: attacker@evil.example\nTo: ", 1)

    assert parse(raw).reply_to == "budi.santoso@example.co.id"


def test_given_an_encoded_subject_and_name_when_parsed_then_they_are_decoded() -> None:
    raw = mime(sender='"Siti Nurhaliza" <siti@example.id>', subject="Lampu jalan mati — Kelurahan Bandar Kidul")

    message = parse(raw)

    assert b"=?utf-8?" in raw
    assert message.subject == "Lampu jalan mati — Kelurahan Bandar Kidul"
    assert message.sender_name == "Siti Nurhaliza"


def test_given_text_and_html_alternatives_when_parsed_then_the_plain_text_is_used() -> None:
    message = parse(mime("Sampah menumpuk di TPS.", html="<p>HTML version</p>"))

    assert message.text == "Sampah menumpuk di TPS."


def test_given_an_html_only_mail_when_parsed_then_tags_scripts_and_quotes_are_stripped() -> None:
    html = (
        "<html><head><style>p{color:red}</style><title>t</title></head><body>"
        "<p>Saluran air <b>mampet</b> &amp; banjir</p><div>Mohon dicek.</div>"
        "<script>alert('x')</script>"
        '<div class="gmail_quote">On Mon, 5 Aug 2019 at 21:29 Aduan wrote:<blockquote>old reply</blockquote></div>'
        "</body></html>"
    )

    message = parse(mime(None, html=html))

    assert message.text == "Saluran air mampet & banjir\n\nMohon dicek."


def test_given_quoted_history_in_english_when_parsed_then_only_the_new_words_remain() -> None:
    text = (
        "Sudah saya kirim fotonya.\n\n"
        "On Mon, 5 Aug 2019 at 21:29, Aduan Kota Kediri <aduan@kedirikota.go.id>\nwrote:\n"
        "> Terima kasih, laporan Anda KDR-2611-7K3M9Q3 kami terima.\n> Mohon kirim foto.\n"
    )

    assert parse(mime(text)).text == "Sudah saya kirim fotonya."


def test_given_quoted_history_in_indonesian_when_parsed_then_only_the_new_words_remain() -> None:
    text = (
        "Lokasinya di depan SDN 2.\n"
        "Pada tanggal Sen, 5 Agu 2019 pukul 21.29 Aduan <aduan@kedirikota.go.id> menulis:\n"
        "Terima kasih atas laporan Anda.\n"
    )

    assert parse(mime(text)).text == "Lokasinya di depan SDN 2."


def test_given_interleaved_quote_lines_when_parsed_then_the_quoted_lines_are_dropped() -> None:
    text = "> Di mana lokasinya?\nDi Jl. Hayam Wuruk.\n> Sejak kapan?\nSejak Senin."

    assert parse(mime(text)).text == "Di Jl. Hayam Wuruk.\nSejak Senin."


def test_given_a_long_body_when_parsed_then_the_text_is_capped() -> None:
    assert len(parse(mime("a" * 10_000)).text) == 4000


def test_given_no_from_address_when_parsed_then_it_is_malformed() -> None:
    with pytest.raises(MalformedPayload):
        parse(mime(sender="undisclosed-recipients:;"))


def test_given_an_unknown_charset_when_parsed_then_the_text_is_still_read() -> None:
    raw = b"From: a@example.id\nSubject: x\nContent-Type: text/plain; charset=x-no-such-charset\n\nJalan rusak parah.\n"

    assert parse(raw).text == "Jalan rusak parah."


# -- attachments ------------------------------------------------------------------------------------------


def test_given_image_and_pdf_attachments_when_listed_then_types_come_from_the_bytes() -> None:
    raw = mime(
        files=(
            ("foto.jpg", "image/jpeg", JPEG, "attachment"),
            ("scan.bin", "application/octet-stream", PDF, "attachment"),
            ("layar.png", "image/png", PNG, "attachment"),
            ("x.webp", "image/webp", WEBP, "attachment"),
        )
    )

    found = mail.attachments(raw)

    assert [(a.filename, a.content_type) for a in found] == [
        ("foto.jpg", "image/jpeg"),
        ("scan.pdf", "application/pdf"),
        ("layar.png", "image/png"),
        ("x.webp", "image/webp"),
    ]
    assert found[0].data == JPEG


def test_given_a_program_declared_as_an_image_when_listed_then_it_is_dropped() -> None:
    raw = mime(
        files=(
            ("foto.jpg", "image/jpeg", EXE, "attachment"),
            ("run.exe", "application/x-msdownload", EXE, "attachment"),
        )
    )

    assert mail.attachments(raw) == []


def test_given_an_attachment_larger_than_the_limit_when_listed_then_it_is_skipped() -> None:
    raw = mime(
        files=(
            ("besar.jpg", "image/jpeg", JPEG + b"\x00" * 2000, "attachment"),
            ("kecil.png", "image/png", PNG, "attachment"),
        )
    )

    assert [a.filename for a in mail.attachments(raw, max_bytes=1000)] == ["kecil.png"]


def test_given_an_inline_logo_and_an_attached_photo_when_listed_then_the_attached_photo_comes_first() -> None:
    raw = mime(files=(("logo.png", "image/png", PNG, "inline"), ("foto.jpg", "image/jpeg", JPEG, "attachment")))

    assert [a.filename for a in mail.attachments(raw)] == ["foto.jpg", "logo.png"]


def test_given_a_path_in_the_filename_when_listed_then_only_a_safe_name_is_kept() -> None:
    raw = mime(files=(("../../etc/passwd.jpg", "image/jpeg", JPEG, "attachment"), ("", "image/png", PNG, "attachment")))

    names = [a.filename for a in mail.attachments(raw)]

    assert names[0] == "passwd.jpg"
    assert names[1].endswith(".png") and "/" not in names[1]


def test_given_a_mail_without_attachments_when_listed_then_there_are_none() -> None:
    assert mail.attachments(mime()) == []


# -- replies through SES ----------------------------------------------------------------------------------


def test_given_a_reply_when_built_then_the_send_email_arguments_are_utf8_text() -> None:
    arguments = mail.ses_send_arguments(
        "budi@example.co.id",
        "Re: Jalan rusak\r\nBcc: x@evil.example",
        "Laporan Anda diterima.",
        "Aduan <aduan@kedirikota.go.id>",
    )

    assert arguments == {
        "Source": "Aduan <aduan@kedirikota.go.id>",
        "Destination": {"ToAddresses": ["budi@example.co.id"]},
        "Message": {
            "Subject": {"Data": "Re: Jalan rusak Bcc: x@evil.example", "Charset": "UTF-8"},
            "Body": {"Text": {"Data": "Laporan Anda diterima.", "Charset": "UTF-8"}},
        },
    }


@pytest.mark.parametrize("to", ["", "not-an-address", "a@b.c, d@e.f", "Budi <budi@example.id>", "a@b.com\nBcc: x@y.z"])
def test_given_a_recipient_that_is_not_one_plain_address_when_built_then_it_is_refused(to) -> None:
    with pytest.raises(ValueError):
        mail.ses_send_arguments(to, "s", "t", "aduan@kedirikota.go.id")


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        (None, SENT),
        ("Throttling", RETRY),
        ("ServiceUnavailable", RETRY),
        ("MessageRejected", PERMANENT),
        ("MailFromDomainNotVerifiedException", PERMANENT),
        ("EndpointConnectionError", RETRY),
    ],
)
def test_given_an_ses_error_code_when_classified_then_only_transient_ones_are_retried(code, outcome) -> None:
    assert mail.classify_ses_error(code) == outcome


def _client_error(code: str, status: int) -> Exception:
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "SendEmail")


def _read_timeout() -> Exception:
    from botocore.exceptions import ReadTimeoutError

    return ReadTimeoutError(endpoint_url="https://email.ap-southeast-3.amazonaws.com")


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (_read_timeout, RETRY),  # no `.response` at all: its class name is its code
        (lambda: _client_error("Throttling", 400), RETRY),
        (lambda: _client_error("MessageRejected", 400), PERMANENT),
    ],
    ids=["read-timeout", "throttling", "rejected"],
)
def test_given_an_ses_send_that_raises_when_sent_then_the_error_is_classified(monkeypatch, error, outcome) -> None:
    import chalicelib.store.aws as aws
    from chalicelib.domain.messages import OutboundMessage
    from chalicelib.settings import ChannelSettings

    raised = error()

    class Client:
        def send_email(self, **arguments):
            raise raised

    monkeypatch.setattr(aws, "ses_client", Client)
    message = OutboundMessage("update:KDR-1:2", "email", "budi@example.co.id", "Laporan diproses.", NOW,
                              case_id="KDR-1")

    result = mail.send(message, ChannelSettings(mail_from="aduan@kedirikota.go.id"))

    assert mail.classify_ses_error(raised) == result.result == outcome
    assert result.detail == mail.ses_error_code(raised)


# -- fuzz -------------------------------------------------------------------------------------------------


def _mime_or_malformed(raw: bytes) -> None:
    try:
        message = mail.parse_mime(raw, MESSAGE_ID, NOW)
    except MalformedPayload:
        pass
    else:
        assert isinstance(message, InboundMessage)
        assert message.text is None or len(message.text) <= 4000
    try:
        found = mail.attachments(raw)
    except MalformedPayload:
        return
    assert all(a.content_type in mail.ALLOWED_ATTACHMENT_TYPES for a in found)


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=2000))
def test_given_arbitrary_bytes_when_parsed_as_mime_then_a_message_or_malformed_payload(raw: bytes) -> None:
    _mime_or_malformed(raw)


HEADER_LINES = st.sampled_from(
    [
        b"From: a@example.id",
        b'From: "=?utf-8?b?QnVkaQ==?=" <budi@example.id>',
        b"From: <>",
        b"From: @@@",
        b"From: a@b.c, d@e.f",
        b"From: undisclosed-recipients:;",
        b"Subject: =?utf-8?q?Jalan_rusak?=",
        b"Subject: =?x-unknown?b?!!!?=",
        b"Content-Type: multipart/mixed; boundary=B",
        b'Content-Type: multipart/alternative; boundary="B"',
        b"Content-Type: multipart/mixed",
        b"Content-Type: text/plain; charset=utf-8",
        b"Content-Type: text/plain; charset=x-bogus",
        b"Content-Type: text/html",
        b"Content-Type: image/jpeg; name=a.jpg",
        b"Content-Type: message/rfc822",
        b"Content-Transfer-Encoding: base64",
        b"Content-Transfer-Encoding: quoted-printable",
        b"Content-Disposition: attachment; filename*=utf-8''%E2%80%AE.jpg",
        b"Content-Disposition: inline",
        b"MIME-Version: 1.0",
    ]
)
BODY_LINES = st.sampled_from(
    [
        b"",
        b"--B",
        b"--B--",
        b"Jalan rusak.",
        b"> quoted",
        b"On Mon wrote:",
        b"Pada tanggal menulis:",
        b"<p>Halo<blockquote>x</blockquote><![if !x]><script>",
        b"/9j/4AAQSkZJRgABAQ==",
        b"iVBORw0KGgo=",
        b"=E2=80=AE=",
        b"\xff\xd8\xff\xe0",
        b"%PDF-1.4",
    ]
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(HEADER_LINES, max_size=8), st.lists(st.one_of(HEADER_LINES, BODY_LINES), max_size=30))
def test_given_structurally_plausible_mime_when_parsed_then_a_message_or_malformed_payload(headers, lines) -> None:
    _mime_or_malformed(b"\r\n".join(headers) + b"\r\n\r\n" + b"\r\n".join(lines))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
TIMESTAMPS = ["FAIL", "2019-08-05T21:30:02", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "2019-08-05"]
SES_KEYS = [
    "Records",
    "eventSource",
    "ses",
    "mail",
    "receipt",
    "messageId",
    "timestamp",
    "commonHeaders",
    "from",
    "subject",
    "spamVerdict",
    "virusVerdict",
    "dmarcVerdict",
    "status",
]


def _mutations(event: Any) -> list[tuple[list[Any], Any]]:
    """Every (path, value) in a JSON document, to replace one of them."""
    found: list[tuple[list[Any], Any]] = []

    def walk(node: Any, path: list[Any]) -> None:
        found.append((path, node))
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, [*path, key])
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, [*path, index])

    walk(event, [])
    return found


def _ses_event_or_malformed(event: Any, now: datetime | None = None) -> None:
    try:
        mails = mail.parse_ses_event(event, now=now)
    except MalformedPayload:
        return
    assert isinstance(mails, list)
    for received in mails:
        assert received.received_at.tzinfo is not None
        assert received.reasons == () or received.verdict_failed


@settings(max_examples=1000, deadline=None)
@given(JSON)
def test_given_arbitrary_json_when_read_as_an_ses_event_then_mails_or_malformed_payload(document) -> None:
    _ses_event_or_malformed(document)


@settings(max_examples=1000, deadline=None)
@given(st.data())
def test_given_a_mutated_documented_event_when_parsed_then_mails_or_malformed_payload(data) -> None:
    event = ses_event()
    for _ in range(data.draw(st.integers(1, 3))):
        places = _mutations(event)
        path, _old = data.draw(st.sampled_from(places))
        replacement = data.draw(JSON | st.sampled_from(SES_KEYS) | st.sampled_from(TIMESTAMPS))
        if not path:
            event = replacement
            continue
        parent = event
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = copy.deepcopy(replacement)
    _ses_event_or_malformed(event, now=data.draw(st.none() | st.just(NOW)))
    json.dumps(event)  # the mutated event is still JSON, as Lambda would hand it over


def test_given_a_naive_or_foreign_zone_time_when_parsed_then_received_at_is_aware_utc() -> None:
    wib = timezone(timedelta(hours=7))
    assert parse(mime()).received_at.tzinfo is UTC
    assert mail.parse_mime(mime(), MESSAGE_ID, datetime(2026, 11, 3, 9, 15, tzinfo=wib)).received_at == NOW
    with pytest.raises(ValueError):
        mail.parse_mime(mime(), MESSAGE_ID, datetime(2026, 11, 3, 9, 15))


def test_given_a_mail_of_bare_line_breaks_when_parsed_then_it_is_refused_before_parsing() -> None:
    raw = mime() + b"\n" * (mail.MAX_LINE_BREAKS + 1)

    with pytest.raises(MalformedPayload):
        parse(raw)
    with pytest.raises(MalformedPayload):
        mail.attachments(raw)
