"""Provider webhooks, one blueprint per channel (docs/channels.md). Each answers within the provider's limit
after one durable write per message; bad signatures get 401 and nothing is stored."""

from __future__ import annotations

from chalice import Blueprint, Response

from handlers.errors import route

FORM = ["application/x-www-form-urlencoded"]
JSON = ["application/json"]

line_webhook = Blueprint(__name__)
meta_webhooks = Blueprint(__name__)
twilio_webhook = Blueprint(__name__)
telegram_webhook = Blueprint(__name__)
sms_gateway_webhook = Blueprint(__name__)
registered_webhooks = Blueprint(__name__)


def _receive(blueprint: Blueprint, provider: str, **kwargs) -> dict:
    """Hand the delivery to the provider the registry knows by this name (`chalicelib.channels.registry`)."""
    from chalicelib.services.webhooks import receive_webhook

    request = blueprint.current_request
    receipt = receive_webhook(provider, request.raw_body or b"", dict(request.headers), **kwargs)
    return {"ok": True, "received": receipt.messages, "new": receipt.new, "ignored": receipt.ignored}


@route(line_webhook, "/webhooks/line", methods=["POST"], content_types=JSON)
def line_view() -> dict:
    return _receive(line_webhook, "line")


@route(meta_webhooks, "/webhooks/whatsapp", methods=["GET"])
def whatsapp_handshake() -> Response:
    return _handshake(meta_webhooks)


@route(meta_webhooks, "/webhooks/whatsapp", methods=["POST"], content_types=JSON)
def whatsapp_view() -> dict:
    return _receive(meta_webhooks, "whatsapp")


@route(meta_webhooks, "/webhooks/meta", methods=["GET"])
def meta_handshake() -> Response:
    return _handshake(meta_webhooks)


@route(meta_webhooks, "/webhooks/meta", methods=["POST"], content_types=JSON)
def meta_view() -> dict:
    return _receive(meta_webhooks, "meta")


def _handshake(blueprint: Blueprint) -> Response:
    from chalicelib.channels.base import verify_hub_subscription
    from chalicelib.domain.errors import NotPermitted
    from chalicelib.services.context import get_context
    from handlers.errors import error_response

    challenge = verify_hub_subscription(blueprint.current_request.query_params or {}, get_context().channels)
    if challenge is None:  # Meta reads only the status; the body keeps the API's one error shape
        return error_response(NotPermitted("Verify token mismatch."))
    return Response(body=challenge, status_code=200, headers={"Content-Type": "text/plain"})


@route(twilio_webhook, "/webhooks/twilio", methods=["POST"], content_types=FORM)
def twilio_view() -> Response:
    from chalicelib.channels.twilio import twiml
    from chalicelib.services.context import get_context

    _receive(twilio_webhook, "twilio", url=get_context().channels.twilio_public_url)
    return Response(body=twiml(None).decode(), status_code=200, headers={"Content-Type": "text/xml"})


@route(telegram_webhook, "/webhooks/telegram", methods=["POST"], content_types=JSON)
def telegram_view() -> dict:
    return _receive(telegram_webhook, "telegram")


@route(sms_gateway_webhook, "/webhooks/sms/{gateway}", methods=["POST"], content_types=[*FORM, *JSON])
def sms_gateway_view(gateway: str) -> dict:
    from chalicelib.domain.errors import NotFound
    from chalicelib.services.context import get_context

    if gateway != get_context().channels.sms_gateway_name:
        raise NotFound("Unknown gateway.")
    return _receive(sms_gateway_webhook, "gateway", query=sms_gateway_webhook.current_request.query_params or {})


@route(registered_webhooks, "/webhooks/{channel}", methods=["POST"], content_types=[*JSON, *FORM])
def registered_channel_view(channel: str) -> dict:
    """A provider registered with `webhook=True` (`chalicelib/channels/registry.py`): a new channel needs its
    module and its registry line, no route. The routes above win for their own paths; any other name is 404."""
    from chalicelib.channels.registry import CHANNELS
    from chalicelib.domain.errors import NotFound

    if not CHANNELS.generic_webhook(channel):
        raise NotFound("Unknown channel.")
    return _receive(registered_webhooks, channel)
