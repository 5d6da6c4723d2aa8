"""E-mail through SES: the raw mail in S3, the SES event to the function, a case and a reply by e-mail."""

from __future__ import annotations

import contextlib
import dataclasses
import uuid

import boto3
import pytest

from tests.support.fake_provider import JPEG

BUCKET = "aduan-test-mail"


def ses_event(message_id, verdicts=("PASS", "PASS", "PASS")):
    spam, virus, dmarc = verdicts
    return {"Records": [{"eventSource": "aws:ses", "eventVersion": "1.0", "ses": {
        "mail": {"timestamp": "2026-11-23T02:00:00.000Z", "source": "prvs=123=warga@example.com",
                 "messageId": message_id, "destination": ["aduan@kedirikota.go.id"],
                 "commonHeaders": {"from": ["Warga Kediri <warga@example.com>"], "to": ["aduan@kedirikota.go.id"],
                                   "subject": "Lampu jalan mati", "date": "Mon, 23 Nov 2026 09:00:00 +0700"}},
        "receipt": {"timestamp": "2026-11-23T02:00:00.000Z", "processingTimeMillis": 222,
                    "recipients": ["aduan@kedirikota.go.id"],
                    "spamVerdict": {"status": spam}, "virusVerdict": {"status": virus},
                    "spfVerdict": {"status": "PASS"}, "dkimVerdict": {"status": "PASS"},
                    "dmarcVerdict": {"status": dmarc},
                    "action": {"type": "Lambda", "functionArn": "arn:aws:lambda:ap-southeast-3:1:function:x",
                               "invocationType": "Event"}},
    }}]}


def raw_mail(with_photo=False):
    from email.message import EmailMessage

    mail = EmailMessage()
    mail["From"] = "Warga Kediri <warga@example.com>"
    mail["To"] = "aduan@kedirikota.go.id"
    mail["Subject"] = "Lampu jalan mati"
    mail.set_content("Lampu PJU di Jl. Hayam Wuruk mati sejak seminggu.\n\n> kutipan lama\n")
    if with_photo:
        mail.add_attachment(JPEG, maintype="image", subtype="jpeg", filename="lampu.jpg")
    return mail.as_bytes()


@pytest.fixture
def mail_ctx(intake_ctx):
    from chalicelib.services.context import set_context

    s3 = boto3.client("s3", region_name="ap-southeast-3")
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-3"})
    channels = dataclasses.replace(intake_ctx.channels, mail_bucket=BUCKET, mail_prefix="incoming/",
                                   mail_from="Aduan Kota Kediri <aduan@kedirikota.go.id>")
    ctx = dataclasses.replace(intake_ctx, channels=channels,
                              settings=dataclasses.replace(intake_ctx.settings, outbox_mode="capture"))
    set_context(ctx)
    return ctx, s3


def test_a_mail_becomes_a_case_with_its_photo_and_the_answer_is_queued_by_email(api, mail_ctx):
    ctx, s3 = mail_ctx
    message_id = uuid.uuid4().hex
    s3.put_object(Bucket=BUCKET, Key=f"incoming/{message_id}", Body=raw_mail(with_photo=True))
    result = api.lambda_.invoke("receive_email", ses_event(message_id))
    assert result.payload == {"accepted": 1, "refused": 0}
    record = ctx.events.get(f"mail:{message_id}")
    case = ctx.cases.get(record.case_id)
    assert case.channel.value == "email" and case.title == "Lampu jalan mati"
    assert "kutipan lama" not in case.description
    assert case.reporter.email == "warga@example.com"
    [stored] = ctx.messages.for_case(case.case_id)
    assert stored.kind == "image" and stored.media_type == "image/jpeg"
    reply = ctx.outbox.get(f"reply:mail:{message_id}")
    assert reply.channel == "email" and reply.recipient == "warga@example.com"
    assert reply.options["subject"] == "Re: Lampu jalan mati" and case.case_id in reply.body
    again = api.lambda_.invoke("receive_email", ses_event(message_id))  # Lambda's async retry
    assert again.payload["accepted"] == 1
    assert len(ctx.cases.list_by_reporter("mail:warga@example.com", limit=10)) >= 1
    assert ctx.events.get(f"mail:{message_id}").case_id == case.case_id


def test_spam_virus_and_dmarc_failures_are_refused(api, mail_ctx):
    ctx, s3 = mail_ctx
    for verdicts in (("FAIL", "PASS", "PASS"), ("PASS", "FAIL", "PASS"), ("PASS", "PASS", "FAIL")):
        message_id = uuid.uuid4().hex
        s3.put_object(Bucket=BUCKET, Key=f"incoming/{message_id}", Body=raw_mail())
        result = api.lambda_.invoke("receive_email", ses_event(message_id, verdicts))
        assert result.payload == {"accepted": 0, "refused": 1}
        assert ctx.events.get(f"mail:{message_id}") is None
