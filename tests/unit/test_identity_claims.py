"""No case takeover through claimed identities (issue 10, item 1).

A phone number typed on the web form, the From address of e-mail that no DMARC/SPF check vouched for, and
the number an officer types for a phone complaint are claims, not proof. Such a message opens its own case,
and the claimed identity is only where updates are sent: it never joins, reopens, resumes, confirms,
disputes, answers, rates or reveals another case, and never spends another person's hourly allowance.
Channels that prove the sender (LINE, Telegram, WhatsApp, SMS, Messenger, Instagram, authenticated e-mail)
keep linking the same person's messages as before; the owner of a typed number proves it by answering the
updates sent there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import uuid
from email.message import EmailMessage

import boto3
import pytest

from chalicelib.channels.base import ParsedDelivery
from chalicelib.domain.case import Reporter, Status
from chalicelib.domain.messages import InboundMessage
from chalicelib.services import intake, notify, workflow

BUCKET = "aduan-test-mail"
_made: list[str] = []


@pytest.fixture(autouse=True)
def _forget_cases():
    """Delete the cases a test made: a followed-up case left open would be auto-closed by other tests' jobs."""
    yield
    from chalicelib.store.models import CaseRecord

    while _made:
        CaseRecord._get_connection().delete_item(_made.pop())  # below Model.delete: no version check


@pytest.fixture(autouse=True)
def _own_client_address(monkeypatch):
    """Each test posts from its own address, so the form's per-address hourly limit never leaks between tests."""
    from chalice.local import LambdaEventConverter

    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", f"10.{uuid.uuid4().int % 250}.0.{_n() % 250}")


def _n() -> int:
    return uuid.uuid4().int % 100_000_000


def a_phone() -> str:
    return f"+62812{_n():08d}"


def made(case_id: str | None) -> str | None:
    if case_id and case_id not in _made:
        _made.append(case_id)
    return case_id


def web_form(api, *, description: str, key: str | None = None, **fields):
    """What a browser or app posts to the public form (JSON)."""
    body = {"idempotency_key": key or uuid.uuid4().hex, "description": description, **fields}
    response = api.http.post("/api/complaints", headers={"Content-Type": "application/json"}, body=json.dumps(body))
    if response.status_code == 201:
        made(response.json_body["tracking_number"])
    return response


def sms(ctx, phone: str, text: str) -> InboundMessage:
    return InboundMessage(channel="sms", event_key=f"sms:claims-{uuid.uuid4().hex}", sender_id=phone,
                          reply_to=phone, phone=phone, received_at=ctx.now(), text=text)


def deliver(ctx, message: InboundMessage):
    [key] = intake.record_delivery(ctx, ParsedDelivery(messages=(message,)))
    outcome = intake.process_event(ctx, key)
    made(outcome.case_id)
    return outcome


def texts_of(ctx, case_id: str) -> list[str | None]:
    return [m.text for m in ctx.messages.for_case(case_id)]


def followed_up(ctx, admin, officer, case_id: str):
    """The admin forwards the case to DLHKP, which posts its follow-up; the update asks the citizen 1 or 2."""
    case = workflow.forward_case(ctx, admin, case_id, 1, lead_agency="dlhkp")
    case = workflow.record_follow_up(ctx, officer, case.case_id, case.version, note="Sudah kami perbaiki.")
    notify.notify_now(ctx, case)
    ctx.clock.advance(days=1)
    return case


# ---------------------------------------------------------------- the web form


def test_a_stranger_typing_a_citizens_number_cannot_dispute_or_confirm_their_followed_up_case(
        api, intake_ctx, admin, dlhkp_officer):
    # Given a citizen's web complaint (updates by SMS to their number) that the OPD followed up
    phone = a_phone()
    mine = web_form(api, description="Lampu PJU mati di Jl. Dhoho depan toko", phone=phone)
    case_id = mine.json_body["tracking_number"]
    followed_up(intake_ctx, admin, dlhkp_officer, case_id)
    # When a stranger types that number on the form, disputing and then confirming
    dispute = web_form(api, description="Belum, masih mati sampai sekarang", phone=phone)
    confirm = web_form(api, description="Sudah selesai, terima kasih banyak", phone=phone)
    # Then each opens its own case, and the citizen's case, its words and its number are untouched
    for response in (dispute, confirm):
        assert response.status_code == 201
        assert response.json_body["tracking_number"] != case_id
        assert case_id not in response.body.decode()
    case = intake_ctx.cases.get(case_id)
    assert case.status is Status.DITINDAKLANJUTI
    assert texts_of(intake_ctx, case_id) == ["Lampu PJU mati di Jl. Dhoho depan toko"]
    # While the owner of the number, answering the SMS the update went to, still disputes it
    reply = deliver(intake_ctx, sms(intake_ctx, phone, "2 belum, masih mati"))
    assert (reply.kind, reply.case_id) == ("reopened", case_id)


def test_a_stranger_typing_a_citizens_number_cannot_join_their_open_case(api, intake_ctx):
    # Given a citizen's SMS complaint a minute ago (its attach window is open)
    phone = a_phone()
    opened = deliver(intake_ctx, sms(intake_ctx, phone, "Jalan berlubang di Jl. Kawi dekat pasar"))
    intake_ctx.clock.advance(minutes=1)
    # When a stranger submits the form with that number
    response = web_form(api, description="Tambahan: lubangnya sudah ditutup warga", phone=phone)
    # Then the stranger gets a new case of their own; nothing joins the citizen's, whose number stays unknown
    assert response.status_code == 201
    assert response.json_body["tracking_number"] != opened.case_id
    assert opened.case_id not in response.body.decode()
    assert texts_of(intake_ctx, opened.case_id) == ["Jalan berlubang di Jl. Kawi dekat pasar"]


def test_a_stranger_typing_a_citizens_number_cannot_resume_their_held_case(api, intake_ctx, admin):
    # Given a citizen's SMS complaint held for their details
    phone = a_phone()
    opened = deliver(intake_ctx, sms(intake_ctx, phone, "Ada pungutan liar di kantor kelurahan"))
    workflow.hold_case(intake_ctx, admin, opened.case_id, 1, note="Kelurahan mana?", until="2026-12-04")
    intake_ctx.clock.advance(hours=3)
    # When a stranger sends "details" through the form with that number
    response = web_form(api, description="Kelurahan Bandar Lor, setiap Senin pagi", phone=phone)
    # Then the held case stays held and knows nothing of it
    assert response.json_body["tracking_number"] != opened.case_id
    assert intake_ctx.cases.get(opened.case_id).status is Status.DITUNDA
    assert texts_of(intake_ctx, opened.case_id) == ["Ada pungutan liar di kantor kelurahan"]


def test_claimed_numbers_never_spend_the_owners_hourly_allowance(api, intake_ctx, admin):
    # Given a stranger who filed the hourly allowance's worth of forms with a citizen's number...
    phone = a_phone()
    allowance = intake_ctx.settings.new_cases_per_hour
    numbers = {web_form(api, description=f"Keluhan palsu nomor {n} atas nama orang lain", phone=phone)
               .json_body["tracking_number"] for n in range(allowance)}
    # ...and an officer who entered as many phone complaints for that number
    for n in range(allowance):
        made(workflow.create_case_from_entry(
            intake_ctx, admin, channel="telepon", description=f"Keluhan lewat telepon nomor {n}",
            idempotency_key=uuid.uuid4().hex, reporter=Reporter(phone=phone)).case_id)
    # Then every form opened its own case
    assert len(numbers) == allowance
    # And the citizen's own SMS complaint still opens a case, not a "too many reports" answer
    own = deliver(intake_ctx, sms(intake_ctx, phone, "Saluran air mampet di Jl. Joyoboyo"))
    assert own.kind == "opened" and own.case_id not in numbers


def test_every_form_submission_opens_its_own_case(api, intake_ctx):
    # Given a citizen who sent the form a minute ago
    phone = a_phone()
    first = web_form(api, description="Pohon tumbang menutup Jl. Veteran", phone=phone)
    intake_ctx.clock.advance(minutes=1)
    # When they (or anyone with their number) send it again with other words
    second = web_form(api, description="Kabel listrik ikut putus di Jl. Veteran", phone=phone)
    # Then that is a second case, each with its own words
    one, two = first.json_body["tracking_number"], second.json_body["tracking_number"]
    assert one != two
    assert texts_of(intake_ctx, one) == ["Pohon tumbang menutup Jl. Veteran"]
    assert texts_of(intake_ctx, two) == ["Kabel listrik ikut putus di Jl. Veteran"]


def test_reusing_someone_elses_idempotency_key_reveals_nothing(api, intake_ctx):
    # Given a counter clerk's app that keys its submissions predictably
    key, phone = f"loket-{_n():08d}", a_phone()
    mine = web_form(api, key=key, description="Antrean KTP tidak tertib di kecamatan", phone=phone)
    number = mine.json_body["tracking_number"]
    # When someone else posts other words under the same key
    theirs = web_form(api, key=key, description="Saya ingin tahu nomor laporan ini", phone=a_phone())
    # Then they are refused by field, and learn no number; the case holds only its own words
    assert theirs.status_code == 400
    assert theirs.json_body["error"]["details"]["field"] == "idempotency_key"
    assert number not in theirs.body.decode()
    assert texts_of(intake_ctx, number) == ["Antrean KTP tidak tertib di kecamatan"]
    # While a true retry of the same submission still gets the same number
    again = web_form(api, key=key, description="Antrean KTP tidak tertib di kecamatan", phone=phone)
    assert again.status_code == 201 and again.json_body["tracking_number"] == number


def test_the_form_and_its_receipt_say_the_number_is_for_updates_only(api, intake_ctx):
    # When a citizen opens the form
    form = api.http.get("/lapor").body.decode()
    # Then it says the number or e-mail only receives the updates of this report
    assert "hanya untuk mengirim kabar perkembangan laporan ini" in form
    # And the receipt says where the updates go
    import re

    token = re.search(r"aduan_csrf=([^;]+)", api.http.get("/lapor").headers["Set-Cookie"]).group(1)
    boundary = "----aduanclaims"
    fields = {"csrf_token": token, "idempotency_key": uuid.uuid4().hex, "phone": a_phone(),
              "description": "Sampah menumpuk di TPS Jl. Mayor Bismo"}
    body = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                   for k, v in fields.items()) + f"--{boundary}--\r\n"
    receipt = api.http.post("/api/complaints", body=body.encode(), headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}", "Cookie": f"aduan_csrf={token}"})
    assert receipt.status_code == 201
    made(re.search(r"KDR-\d{4}-[0-9A-Z]{7}", receipt.body.decode()).group(0))
    assert "Kabar perkembangan laporan ini kami kirim ke nomor HP atau email yang Anda isi" in receipt.body.decode()


# ---------------------------------------------------------------- e-mail


def ses_event(message_id: str, sender: str, *, dmarc: str = "PASS", spf: str = "PASS",
              envelope: str | None = None) -> dict:
    return {"Records": [{"eventSource": "aws:ses", "eventVersion": "1.0", "ses": {
        "mail": {"timestamp": "2026-11-23T02:00:00.000Z", "source": envelope or sender, "messageId": message_id,
                 "destination": ["aduan@kedirikota.go.id"],
                 "commonHeaders": {"from": [f"Warga <{sender}>"], "to": ["aduan@kedirikota.go.id"],
                                   "subject": "Laporan"}},
        "receipt": {"timestamp": "2026-11-23T02:00:00.000Z", "recipients": ["aduan@kedirikota.go.id"],
                    "spamVerdict": {"status": "PASS"}, "virusVerdict": {"status": "PASS"},
                    "spfVerdict": {"status": spf}, "dkimVerdict": {"status": "GRAY"},
                    "dmarcVerdict": {"status": dmarc},
                    "action": {"type": "Lambda", "functionArn": "arn:aws:lambda:ap-southeast-3:1:function:x",
                               "invocationType": "Event"}},
    }}]}


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


def mail(ctx, s3, sender: str, text: str, **verdicts) -> str | None:
    """A mail arrives through SES; the case it landed on (None when it opened nothing)."""
    from chalicelib.services.email_intake import receive_email_event

    message = EmailMessage()
    message["From"] = f"Warga <{sender}>"
    message["To"] = "aduan@kedirikota.go.id"
    message["Subject"] = "Laporan"
    message.set_content(text)
    message_id = uuid.uuid4().hex
    s3.put_object(Bucket=BUCKET, Key=f"incoming/{message_id}", Body=message.as_bytes())
    receive_email_event(ctx, ses_event(message_id, sender, **verdicts))
    record = ctx.events.get(f"mail:{message_id}")
    return made(record.case_id if record else None)


# A domain without DMARC, and a forger's own server: SPF passes for the forger's envelope, not for the From.
FORGED = {"dmarc": "GRAY", "spf": "PASS", "envelope": "bounce@forger.example"}


def test_unauthenticated_mail_in_a_citizens_name_cannot_dispute_rate_or_join(mail_ctx, admin, dlhkp_officer):
    ctx, s3 = mail_ctx
    address = f"warga{_n()}@desa.example"
    # Given a citizen's authenticated e-mail complaint that the OPD followed up
    case_id = mail(ctx, s3, address, "Jembatan desa retak di Jl. Sunan Ampel")
    followed_up(ctx, admin, dlhkp_officer, case_id)
    # When a forged mail in their name (a domain without DMARC) disputes it
    forged = mail(ctx, s3, address, "Belum, masih retak parah sampai sekarang", **FORGED)
    # Then the forgery is a case of its own; the citizen's case does not move and holds only their words
    assert forged is not None and forged != case_id
    assert ctx.cases.get(case_id).status is Status.DITINDAKLANJUTI
    assert texts_of(ctx, case_id) == ["Jembatan desa retak di Jl. Sunan Ampel"]
    # While the citizen's own authenticated reply still confirms it, as before
    ctx.clock.advance(hours=1)
    assert mail(ctx, s3, address, "Sudah beres, terima kasih") == case_id
    assert ctx.cases.get(case_id).status is Status.SELESAI
    # And a forged "5" after the rating request rates nothing
    ctx.clock.advance(hours=1)
    assert mail(ctx, s3, address, "5", **FORGED) is None
    assert ctx.cases.get(case_id).rating is None


def test_unauthenticated_mail_does_not_join_an_open_case_within_the_window(mail_ctx):
    ctx, s3 = mail_ctx
    address = f"warga{_n()}@desa.example"
    # Given a citizen's authenticated mail a minute ago
    case_id = mail(ctx, s3, address, "Pohon tumbang di Jl. Hayam Wuruk")
    ctx.clock.advance(minutes=1)
    # When an unauthenticated mail claims their address
    forged = mail(ctx, s3, address, "Tambahan keterangan dari saya", **FORGED)
    # Then it opens its own case
    assert forged != case_id
    assert texts_of(ctx, case_id) == ["Pohon tumbang di Jl. Hayam Wuruk"]
    # While SPF aligned with the From domain is proof enough: the citizen's next mail joins, as before
    ctx.clock.advance(minutes=1)
    aligned = mail(ctx, s3, address, "Foto menyusul", dmarc="GRAY", spf="PASS", envelope="bounce@desa.example")
    assert aligned == case_id
