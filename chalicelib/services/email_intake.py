"""E-mail complaints: SES stores the raw message in S3 and invokes us with its metadata.

Mail that SES judged spam, virus-laden or failing DMARC is refused (logged, never a case). Each accepted
mail is recorded once by its SES message id and processed at once (this invocation is asynchronous:
nobody is waiting, and Lambda retries it on failure).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from chalicelib.channels.base import ParsedDelivery
from chalicelib.observability import logger
from chalicelib.services.context import Context


def receive_email_event(ctx: Context, event: Mapping) -> dict[str, int]:
    from chalicelib.channels.email import attachments, parse_mime, parse_ses_event
    from chalicelib.services.intake import process_event, record_delivery
    from chalicelib.store.media import EXTENSIONS, MediaStore

    accepted = refused = 0
    for mail in parse_ses_event(event, now=ctx.now()):
        if mail.verdict_failed:
            refused += 1
            logger.warning("mail refused", extra={"message_id": mail.message_id, "reasons": list(mail.reasons)})
            continue
        raw = _raw_mail(ctx, mail.object_key(ctx.channels.mail_prefix))
        message = parse_mime(raw, mail.message_id, mail.received_at)
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


def _raw_mail(ctx: Context, key: str) -> bytes:
    from chalicelib.store.aws import s3_client

    return s3_client().get_object(Bucket=ctx.channels.mail_bucket, Key=key)["Body"].read()
