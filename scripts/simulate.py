"""Send a correctly signed sample webhook to the running local server, as the provider would.

    make simulate CHANNEL=line TEXT="Jalan berlubang di Jl. Dhoho"
    make simulate CHANNEL=line-group TEXT="Pak, rapat koordinasi jam 9 besok ya"   (inside DPUPR's LINE group)
    .venv/bin/python -m scripts.simulate whatsapp "Sampah menumpuk" --sender 6281234567890

Payloads follow each provider's documented shape; secrets are the local stage's (.chalice/config.json),
so the server verifies them exactly as it would verify the real provider.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.parse
import urllib.request
import uuid

from scripts.local_stack import stage_config_environment

CHANNELS = ("line", "line-group", "whatsapp", "messenger", "instagram", "twilio-sms", "twilio-whatsapp", "telegram",
            "sms", "web")
DEFAULT_SENDERS = {
    "line": "U4af4980629d3e8f1b2f1d4e5a6b7c8d9",
    "line-group": "",  # the DPUPR demo officer's LINE user id (see below)
    "whatsapp": "6281234567890",
    "messenger": "6543210987654321",
    "instagram": "1789234567890123",
    "twilio-sms": "+6281234567891",
    "twilio-whatsapp": "+6281234567892",
    "telegram": "5550001",
    "sms": "6281234567893",
    "web": "+6281234567894",
}


def build(channel: str, text: str, sender: str, base_url: str, env: dict[str, str]) -> tuple[str, bytes, dict]:
    """(path, body, headers) of one signed delivery."""
    now_ms = int(time.time() * 1000)
    event_id = uuid.uuid4().hex
    if channel in ("line", "line-group"):
        from chalicelib.channels.line import sign

        source = {"type": "user", "userId": sender}
        if channel == "line-group":  # a message inside DPUPR's demo LINE group (bound by the demo data)
            from chalicelib.demo.kediri import DEMO_LINE_GROUPS, demo_line_id

            source = {"type": "group", "groupId": DEMO_LINE_GROUPS["dpupr"],
                      "userId": sender or demo_line_id("U", "petugas.dpupr")}
        body = json.dumps({
            "destination": "U0123456789abcdef0123456789abcdef",
            "events": [{
                "type": "message", "mode": "active", "timestamp": now_ms,
                "source": source,
                "webhookEventId": "01" + event_id[:24].upper(),
                "deliveryContext": {"isRedelivery": False},
                "replyToken": event_id,
                "message": {"id": str(now_ms), "type": "text", "quoteToken": event_id, "text": text},
            }],
        }).encode()
        return "/webhooks/line", body, {"Content-Type": "application/json",
                                        "X-Line-Signature": sign(body, env["ADUAN_LINE_CHANNEL_SECRET"])}
    if channel == "whatsapp":
        from chalicelib.channels.meta import sign

        body = json.dumps({
            "object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550783881",
                             "phone_number_id": env["ADUAN_WHATSAPP_PHONE_NUMBER_ID"]},
                "contacts": [{"profile": {"name": "Warga Simulasi"}, "wa_id": sender}],
                "messages": [{"from": sender, "id": f"wamid.{event_id}", "timestamp": str(now_ms // 1000),
                              "type": "text", "text": {"body": text}}],
            }}]}],
        }).encode()
        return "/webhooks/whatsapp", body, {"Content-Type": "application/json",
                                            "X-Hub-Signature-256": sign(body, env["ADUAN_META_APP_SECRET"])}
    if channel in ("messenger", "instagram"):
        from chalicelib.channels.meta import sign

        body = json.dumps({
            "object": "page" if channel == "messenger" else "instagram",
            "entry": [{"id": "1234567890", "time": now_ms, "messaging": [{
                "sender": {"id": sender}, "recipient": {"id": "1234567890"}, "timestamp": now_ms,
                "message": {"mid": f"m_{event_id}", "text": text},
            }]}],
        }).encode()
        return "/webhooks/meta", body, {"Content-Type": "application/json",
                                        "X-Hub-Signature-256": sign(body, env["ADUAN_META_APP_SECRET"])}
    if channel in ("twilio-sms", "twilio-whatsapp"):
        from chalicelib.channels.twilio import sign

        whatsapp = channel == "twilio-whatsapp"
        params = {
            "MessageSid": "SM" + event_id,
            "SmsMessageSid": "SM" + event_id,
            "AccountSid": env["ADUAN_TWILIO_ACCOUNT_SID"],
            "From": f"whatsapp:{sender}" if whatsapp else sender,
            "To": f"whatsapp:{env['ADUAN_TWILIO_WHATSAPP_FROM']}" if whatsapp else env["ADUAN_TWILIO_SMS_FROM"],
            "Body": text, "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received", "ApiVersion": "2010-04-01",
        }
        if whatsapp:
            params.update(ProfileName="Warga Simulasi", WaId=sender.lstrip("+"))
        body = urllib.parse.urlencode(params).encode()
        signature = sign(env["ADUAN_TWILIO_PUBLIC_URL"], params, env["ADUAN_TWILIO_AUTH_TOKEN"])
        return "/webhooks/twilio", body, {"Content-Type": "application/x-www-form-urlencoded",
                                          "X-Twilio-Signature": signature}
    if channel == "telegram":
        body = json.dumps({
            "update_id": now_ms % 10**9,
            "message": {"message_id": now_ms % 10**6, "date": now_ms // 1000, "text": text,
                        "from": {"id": int(sender), "is_bot": False, "first_name": "Warga", "last_name": "Simulasi"},
                        "chat": {"id": int(sender), "type": "private", "first_name": "Warga"}},
        }).encode()
        return "/webhooks/telegram", body, {"Content-Type": "application/json",
                                            "X-Telegram-Bot-Api-Secret-Token": env["ADUAN_TELEGRAM_SECRET_TOKEN"]}
    if channel == "sms":
        body = urllib.parse.urlencode({"id": event_id[:20], "originator": sender, "msg": text,
                                       "receive_date": time.strftime("%Y-%m-%d %H:%M:%S",
                                                                     time.gmtime(time.time() + 7 * 3600))}).encode()
        return "/webhooks/sms/nusasms", body, {"Content-Type": "application/x-www-form-urlencoded",
                                                "X-Gateway-Token": env["ADUAN_SMS_GATEWAY_TOKEN"]}
    if channel == "web":
        body = json.dumps({"idempotency_key": event_id, "description": text, "name": "Warga Simulasi",
                           "phone": sender}).encode()
        return "/api/complaints", body, {"Content-Type": "application/json"}
    raise SystemExit(f"unknown channel {channel!r}; choose from {', '.join(CHANNELS)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("channel", choices=CHANNELS)
    parser.add_argument("text")
    parser.add_argument("--sender", help="the citizen's id on that channel (phone, user id, chat id)")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the local server")
    args = parser.parse_args(argv)
    env = stage_config_environment("local")
    path, body, headers = build(args.channel, args.text, args.sender or DEFAULT_SENDERS[args.channel], args.url, env)
    request = urllib.request.Request(args.url + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            status, answer = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, answer = error.code, error.read()
    except urllib.error.URLError as error:
        print(f"cannot reach {args.url}: {error.reason} — is `make run` running?", file=sys.stderr)
        return 2
    print(f"POST {path} -> {status}")
    print(answer.decode(errors="replace"))
    if args.channel == "line-group":
        print("Sent from inside DPUPR's demo LINE group: chatter opens no case and gets no answer; a group code "
              "(GRUP-…) or STATUS <nomor> is answered in the group (.data/outbox-captured.jsonl).")
    elif args.channel != "web":
        print("The reply is captured in .data/outbox-captured.jsonl (a local run sends nothing).")
    return 0 if status < 400 else 1


if __name__ == "__main__":
    sys.exit(main())
