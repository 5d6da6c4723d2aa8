"""E-mail intake: invoked by the SES receipt rule (after its S3 action) with the mail's metadata."""

from __future__ import annotations

from chalice import Blueprint

email_intake = Blueprint(__name__)


@email_intake.lambda_function(name="receive_email")
def receive_email(event, context) -> dict:
    from chalicelib.services.context import get_context
    from chalicelib.services.email_intake import receive_email_event

    return receive_email_event(get_context(), event)
