"""E-mail complaints: SES stores the raw message in S3 and invokes us with its metadata.

Mail that SES judged spam, virus-laden or failing DMARC is refused (logged, never a case). Each accepted
mail is recorded once by its SES message id and processed at once (this invocation is asynchronous:
nobody is waiting, and Lambda retries it on failure).

Anyone can write any From address, and a domain without a DMARC policy lets that pass (SES says GRAY). So an
accepted mail proves its sender only when DMARC passed, or when SPF passed for an envelope sender in the From
address's domain. Any other mail is marked unverified (`replies_rules.UNVERIFIED_SENDER`): it opens a case
of its own and its address only receives the updates; it never acts on that address's other cases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from chalicelib.channels.base import MalformedPayload, ParsedDelivery
from chalicelib.domain.replies_rules import UNVERIFIED_SENDER
from chalicelib.observability import logger
from chalicelib.services.context import Context


def receive_email_event(ctx: Context, event: Mapping) -> dict[str, int]:
    from chalicelib.channels.email import attachments, parse_mime, parse_ses_event
    from chalicelib.services.intake import process_event, record_delivery
    from chalicelib.store.media import EXTENSIONS, MediaStore

    accepted = refused = 0
    proven = _authenticated_senders(event, ctx.now())
    for mail in parse_ses_event(event, now=ctx.now()):
        if mail.verdict_failed:
            refused += 1
            logger.warning("mail refused", extra={"message_id": mail.message_id, "reasons": list(mail.reasons)})
            continue
        raw = _raw_mail(ctx, mail.object_key(ctx.channels.mail_prefix))
        message = parse_mime(raw, mail.message_id, mail.received_at)
        if proven.get(mail.message_id) != message.sender_id:  # no check vouched for this From address
            message = replace(message, sender_id=UNVERIFIED_SENDER + message.sender_id)
        images = [a for a in attachments(raw) if a.content_type.startswith("image/")]
        if images:
            first = images[0]
            key = MediaStore(ctx.channels).put(
                f"media/mail/{mail.message_id}.{EXTENSIONS[first.content_type]}", first.data, first.content_type
            )
            message = replace(message, kind="image", media_id=f"store:{key}", media_type=first.content_type)
        for fresh in record_delivery(ctx, ParsedDelivery(messages=(message,))):
            process_event(ctx, fresh)
        accepted += 1
    return {"accepted": accepted, "refused": refused}


def _authenticated_senders(event: Mapping, now: datetime) -> dict[str, str]:
    """SES message id -> the From address an authentication check vouched for: DMARC passed, or SPF passed
    for an envelope sender of the From address's domain (or a subdomain of it: relaxed alignment)."""
    from chalicelib.channels.email import parse_ses_event

    found: dict[str, str] = {}
    records = event.get("Records") if isinstance(event, Mapping) else None
    for record in records if isinstance(records, list) else []:
        ses = record.get("ses") if isinstance(record, Mapping) else None
        mail = ses.get("mail") if isinstance(ses, Mapping) else None
        receipt = ses.get("receipt") if isinstance(ses, Mapping) else None
        if not isinstance(mail, Mapping) or not isinstance(receipt, Mapping):
            continue
        try:
            parsed = parse_ses_event({"Records": [record]}, now=now)  # the From address, read the same way
        except MalformedPayload:
            continue
        for one in parsed:
            if one.sender and (_verdict(receipt, "dmarcVerdict") == "PASS" or (
                    _verdict(receipt, "spfVerdict") == "PASS" and _aligned(mail.get("source"), one.sender))):
                found[one.message_id] = one.sender
    return found


def _verdict(receipt: Mapping, name: str) -> str | None:
    verdict = receipt.get(name)
    return verdict.get("status") if isinstance(verdict, Mapping) else None


def _aligned(envelope: object, sender: str) -> bool:
    """Whether SPF's domain (the envelope sender's) is the From domain or a subdomain of it, or vice versa."""
    if not isinstance(envelope, str) or "@" not in envelope:
        return False
    spf_domain = envelope.rsplit("@", 1)[1].strip().lower().rstrip(".")
    from_domain = sender.rsplit("@", 1)[1].lower().rstrip(".")
    if not spf_domain or not from_domain:
        return False
    return spf_domain == from_domain or spf_domain.endswith("." + from_domain) or from_domain.endswith(
        "." + spf_domain)


def _raw_mail(ctx: Context, key: str) -> bytes:
    from chalicelib.store.aws import s3_client

    return s3_client().get_object(Bucket=ctx.channels.mail_bucket, Key=key)["Body"].read()
