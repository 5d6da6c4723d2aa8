"""No phone number, e-mail address, name, message text or provider user/message id of a citizen reaches the
logs (UU PDP 27/2022; docs/architecture.md, Data rules): realistic flows on every channel run with the service's
real log output captured, and nothing of the person appears in any line."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest

from chalicelib.domain.messages import InboundMessage
from chalicelib.observability import RedactingFilter, logger, mask_text, pseudonym, redact, redact_id
from tests.unit.privacy_flows import ADMIN, DPUPR, deliver, far_month, unique_phone


@pytest.fixture
def log_lines():
    """What the service's logger really writes (its own handler and formatter), at every level."""
    handler = logger.registered_handler
    buffer = io.StringIO()
    old_stream = handler.setStream(buffer)
    old_level = logger.log_level
    logger.setLevel("DEBUG")
    yield lambda: [line for line in buffer.getvalue().splitlines() if line.strip()]
    handler.setStream(old_stream)
    logger.setLevel(old_level)


def _people(ctx):
    """One person per channel, each with every kind of identifying detail the channel carries."""
    tag = uuid.uuid4().hex[:8]
    phone_tg, phone_sms, phone_wa, phone_web = (unique_phone() for _ in range(4))
    line_user = "U" + uuid.uuid4().hex
    mail = f"warga.{tag}@surel.example.id"
    now = ctx.now()
    people = [
        ("line", InboundMessage(channel="line", event_key=f"line:01HLOG{tag.upper()}", sender_id=line_user,
                                reply_to=line_user, reply_token=f"rt-{tag}", received_at=now,
                                text=f"Sampah menumpuk di gang rumah Pak Joko Susilo {tag}",
                                sender_name="Joko Susilo")),
        ("telegram", InboundMessage(channel="telegram", event_key=f"tg:{int(tag, 16) % 10**9}",
                                    sender_id=f"77{int(tag, 16) % 10**7}", reply_to=f"77{int(tag, 16) % 10**7}",
                                    received_at=now, phone=phone_tg, sender_name="Ani Rahmawati",
                                    text=f"Saluran air mampet, telepon saya {phone_tg} {tag}")),
        ("whatsapp", InboundMessage(channel="whatsapp", event_key=f"wa:wamid.HBgN{phone_wa[1:]}{tag.upper()}",
                                    sender_id=phone_wa[1:], reply_to=phone_wa[1:], phone=phone_wa,
                                    sender_name="Dewi Lestari", received_at=now,
                                    text=f"Pohon tumbang di Jl. Brawijaya dekat rumah Dewi {tag}")),
        ("sms", InboundMessage(channel="sms", event_key=f"sms:gw-{tag}", sender_id=phone_sms, reply_to=phone_sms,
                               phone=phone_sms, received_at=now, text=f"Jalan rusak parah RT 03 {tag}")),
        ("email", InboundMessage(channel="email", event_key=f"mail:<{tag}.CAF=x@mail.surel.example.id>",
                                 sender_id=mail, reply_to=mail, email=mail, sender_name="Bambang Wijaya",
                                 subject=f"Keluhan PJU {tag}", received_at=now,
                                 text=f"Lampu PJU mati sejak seminggu, Bambang {tag}")),
        ("web", InboundMessage(channel="web", event_key=f"web:{tag}", sender_id=phone_web, phone=phone_web,
                               sender_name="Sri Handayani", email=f"sri.{tag}@surel.example.id",
                               received_at=now, text=f"Parkir liar di depan sekolah, Sri Handayani {tag}")),
    ]
    secrets = {phone_tg, phone_sms, phone_wa, phone_web, line_user, mail, f"sri.{tag}@surel.example.id",
               "Joko Susilo", "Ani Rahmawati", "Dewi Lestari", "Bambang Wijaya", "Sri Handayani",
               f"wamid.HBgN{phone_wa[1:]}{tag.upper()}", f"{tag}.CAF=x@mail.surel.example.id"}
    for phone in (phone_tg, phone_sms, phone_wa, phone_web):
        secrets |= {phone[1:], "0" + phone[3:]}
    secrets |= {m.text for _, m in people}
    return people, secrets


def test_no_personal_data_reaches_the_logs_on_any_channel(intake_ctx, provider, log_lines, monkeypatch):
    from chalicelib.services import intake, workflow
    from chalicelib.services.citizen_reply import reply_to_citizen
    from chalicelib.services.outbound import send_due_messages
    from chalicelib.services.sync import sync_pending_cases

    ctx = intake_ctx
    far_month(ctx.clock, 2046, 10)
    people, secrets = _people(ctx)
    case_ids = []
    for _, message in people:  # intake on every channel: the case opens, the answer goes out
        [outcome] = deliver(ctx, message)
        case_ids.append(outcome.case_id)
    for case_id in case_ids:  # an officer action and a reply to each citizen
        case = ctx.cases.get(case_id)
        workflow.forward_case(ctx, ADMIN, case_id, case.version, lead_agency="dpupr")
        reply_to_citizen(ctx, ADMIN, case_id, "Terima kasih, laporan Anda kami teruskan.", uuid.uuid4().hex)
    case = ctx.cases.get(case_ids[0])
    workflow.record_follow_up(ctx, DPUPR, case.case_id, case.version, note="Sudah dibersihkan petugas DLHKP.")
    # a provider that refuses for good, naming the recipient in its error
    wa_id = people[2][1].sender_id
    provider.script("/v21.0/", *[(400, {"error": {"message": f"Recipient {wa_id} (+{wa_id}) is not valid"}})] * 8)
    case = ctx.cases.get(case_ids[2])
    reply_to_citizen(ctx, ADMIN, case.case_id, "Mohon kirim foto lokasi.", uuid.uuid4().hex)
    sync_pending_cases(ctx)
    ctx.clock.advance(hours=2)
    send_due_messages(ctx)
    # a processing failure whose exception text carries the person's details
    original = intake.handle_message

    def broken(ctx_, message):
        # (patterns catch numbers, addresses and provider ids in an exception's text; free text they cannot:
        # code never puts a citizen's words into an exception)
        raise ValueError(f"cannot handle message from {message.phone} (tel:{message.phone}, 0{message.phone[3:]})")

    monkeypatch.setattr(intake, "handle_message", broken)
    failing = InboundMessage(channel="sms", event_key=f"sms:gw-fail-{uuid.uuid4().hex[:6]}",
                             sender_id=people[3][1].phone, reply_to=people[3][1].phone, phone=people[3][1].phone,
                             received_at=ctx.now(), text=people[3][1].text)
    with pytest.raises(ValueError):
        deliver(ctx, failing)
    monkeypatch.setattr(intake, "handle_message", original)

    lines = log_lines()
    assert len(lines) >= 20, lines  # the flows really logged
    assert any('"outbound failed"' in line for line in lines)
    assert any("ValueError" in line for line in lines)  # the exception is logged, its content masked
    for line in lines:
        json.loads(line)  # still one JSON object per line
        for secret in secrets:
            assert secret not in line, (secret, line)
    assert any("KDR-" in line for line in lines)  # case ids stay: they are how operators follow a case


def test_the_redaction_rules():
    phone = "+6281234567890"
    assert phone not in mask_text(f"call {phone} or 081234567890 or 6281234567890 now")
    assert "081234567890" not in mask_text("nomor 081234567890.")
    masked = mask_text("from warga@example.id, key tel:+6281234567890, uid:line:Uabc, wamid.HBgNNjI4MTIzNA==")
    for value in ("warga@example.id", "tel:+6281234567890", "uid:line:Uabc", "wamid.HBgNNjI4MTIzNA=="):
        assert value not in masked
    assert mask_text("kasus KDR-2611-ABCD123 versi 3 pada 2026-11-30T02:00:00+00:00") == \
        "kasus KDR-2611-ABCD123 versi 3 pada 2026-11-30T02:00:00+00:00"
    # ids of our own making stay readable; a provider's keep only the channel
    assert redact_id("update:KDR-2611-ABCD123:4") == "update:KDR-2611-ABCD123:4"
    assert redact_id("KDR-2611-ABCD123:reply:abc123") == "KDR-2611-ABCD123:reply:abc123"
    assert redact_id("wa:wamid.HBgN6281") == f"wa:{pseudonym('wa:wamid.HBgN6281')}"
    assert redact_id("reply:tg:12345").startswith("reply:tg:h:")
    record = redact({"recipient": "6281234567890", "text": "halo", "case_id": "KDR-2611-ABCD123",
                     "members": 3, "nested": {"email": "a@b.id"}, "from": "BARU"})
    assert record == {"recipient": pseudonym("6281234567890"), "text": pseudonym("halo"),
                      "case_id": "KDR-2611-ABCD123", "members": 3, "nested": {"email": pseudonym("a@b.id")},
                      "from": "BARU"}
    assert pseudonym("x") == pseudonym("x") and pseudonym("x") != pseudonym("y")


def test_the_filter_redacts_plain_logging_too():
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(message)s %(recipient)s"))
    handler.setLevel(logging.DEBUG)
    plain = logging.getLogger("aduan.test.plain")
    plain.setLevel(logging.DEBUG)  # whatever level the service logger above it has now
    plain.addHandler(handler)
    plain.propagate = False
    try:
        plain.warning("sent to %s", "+6281234567890", extra={"recipient": "warga@example.id"})
        try:
            raise RuntimeError("no route to 081234567890")
        except RuntimeError:
            plain.exception("failed", extra={"recipient": "-"})
    finally:
        plain.removeHandler(handler)
    text = buffer.getvalue()
    assert "+6281234567890" not in text and "warga@example.id" not in text and "081234567890" not in text
    assert "RuntimeError" in text
