"""Send a correctly signed sample webhook to the running local server, as the provider would.

    make simulate CHANNEL=line TEXT="Jalan berlubang di Jl. Dhoho"
    make simulate URL=http://127.0.0.1:8400 CHANNEL=line TEXT="..."                (a `make run PORT=8400`)
    make simulate CHANNEL=line-group TEXT="Pak, rapat koordinasi jam 9 besok ya"   (inside DPUPR's LINE group)
    .venv/bin/python -m scripts.simulate whatsapp "Sampah menumpuk" --sender 6281234567890

Payloads follow each provider's documented shape; secrets are the local stage's (.chalice/config.json),
so the server verifies them exactly as it would verify the real provider.

A local run sends nothing out: the outbox appends every outbound message to `outbox-captured.jsonl` next to the
media folder (`.data/` for `make run`; chalicelib/services/outbound.py). After the server's answer the simulator
watches that file (up to --wait seconds) for the reply to this very delivery — its outbox id is `reply:` plus
the delivery's provider id — and prints it, or says plainly that none arrived.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

from scripts.local_stack import REPO_ROOT, local_base_url, stage_config_environment

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


def meta_signature(body: bytes, app_secret: str) -> str:
    """`X-Hub-Signature-256` as Meta sends it (WhatsApp Cloud, Messenger, Instagram): `sha256=` and the hex
    HMAC-SHA256 of the raw body under the app secret (docs/channels.md)."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def build(channel: str, text: str, sender: str, base_url: str, env: dict[str, str]) -> tuple[str, bytes, dict]:
    """(path, body, headers) of one signed delivery."""
    now_ms = int(time.time() * 1000)
    event_id = uuid.uuid4().hex
    if channel in ("line", "line-group"):
        from chalicelib.channels.line import sign

        source = {"type": "user", "userId": sender}
        if channel == "line-group":  # a message inside DPUPR's demo LINE group (bound by the demo data)
            from demo.kediri import DEMO_LINE_GROUPS, demo_line_id

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
                                            "X-Hub-Signature-256": meta_signature(body, env["ADUAN_META_APP_SECRET"])}
    if channel in ("messenger", "instagram"):
        body = json.dumps({
            "object": "page" if channel == "messenger" else "instagram",
            "entry": [{"id": "1234567890", "time": now_ms, "messaging": [{
                "sender": {"id": sender}, "recipient": {"id": "1234567890"}, "timestamp": now_ms,
                "message": {"mid": f"m_{event_id}", "text": text},
            }]}],
        }).encode()
        return "/webhooks/meta", body, {"Content-Type": "application/json",
                                        "X-Hub-Signature-256": meta_signature(body, env["ADUAN_META_APP_SECRET"])}
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
        # Twilio signs the URL it called: the server's ADUAN_TWILIO_PUBLIC_URL, which `make run` derives from its port.
        public_url = env.get("ADUAN_TWILIO_PUBLIC_URL") or base_url.rstrip("/") + "/webhooks/twilio"
        signature = sign(public_url, params, env["ADUAN_TWILIO_AUTH_TOKEN"])
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


def delivery_id(channel: str, body: bytes) -> str | None:
    """The provider's id of the message in `body` (what the server's event key, and so its reply's outbox id,
    is made of), or None for the web form, which answers in its own response."""
    if channel == "web":
        return None
    if channel in ("twilio-sms", "twilio-whatsapp", "sms"):
        form = dict(urllib.parse.parse_qsl(body.decode()))
        return form["MessageSid"] if channel.startswith("twilio") else form["id"]
    data = json.loads(body)
    if channel in ("line", "line-group"):
        return data["events"][0]["webhookEventId"]
    if channel == "whatsapp":
        return data["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    if channel in ("messenger", "instagram"):
        return data["entry"][0]["messaging"][0]["message"]["mid"]
    if channel == "telegram":
        return str(data["update_id"])
    raise ValueError(channel)


def reply_expected(channel: str, text: str) -> bool:
    """Whether the server answers this delivery: always, except chatter in an OPD's LINE group (only a group
    code, STATUS <nomor> and INFO are answered there) and the web form (its page shows the number)."""
    if channel == "web":
        return False
    if channel == "line-group":
        return re.match(r"\s*(GRUP-|STATUS\b|INFO\b)", text, re.IGNORECASE) is not None
    return True


def default_outbox() -> Path:
    """Where the local outbox writes: next to the server's media folder (ADUAN_MEDIA_DIR, default `.data/media`,
    relative to the repository, where `make run` starts chalice local)."""
    media = Path(os.environ.get("ADUAN_MEDIA_DIR") or ".data/media")
    return (media if media.is_absolute() else REPO_ROOT / media).parent / "outbox-captured.jsonl"


def outbox_size(outbox: Path) -> int:
    try:
        return outbox.stat().st_size
    except FileNotFoundError:
        return 0


def read_captured(outbox: Path, start: int = 0) -> list[dict]:
    """The complete records appended to `outbox` from byte `start` on (from the beginning if it shrank)."""
    try:
        with outbox.open("rb") as handle:
            if outbox.stat().st_size < start:  # cleared or replaced since: everything in it is new
                start = 0
            handle.seek(start)
            data = handle.read()
    except FileNotFoundError:
        return []
    records = []
    for line in data.split(b"\n")[:-1]:  # the last piece is empty or a line still being written
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


def wait_for(
    outbox: Path,
    start: int,
    found: Callable[[dict], bool],
    timeout: float,
    interval: float = 0.2,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[dict | None, list[dict]]:
    """Poll `outbox` from byte `start` until a record satisfies `found`, at most `timeout` seconds.
    Returns (that record or None, every record captured since `start`)."""
    deadline = clock() + timeout
    while True:
        records = read_captured(outbox, start)
        match = next((record for record in records if found(record)), None)
        if match is not None or clock() >= deadline:
            return match, records
        sleep(interval)


def is_reply_to(event: str) -> Callable[[dict], bool]:
    """The answer to the delivery whose provider id is `event`: outbox id `reply:<channel prefix>:<event>`
    (`#fallback` appended when it went out a second way)."""

    def matches(record: dict) -> bool:
        message_id = str(record.get("message_id", "")).split("#")[0]
        return message_id.startswith("reply:") and message_id.endswith(":" + event)

    return matches


def is_alert_for(case_id: str) -> Callable[[dict], bool]:
    """An officer alert about `case_id` (outbox id `alert:<case>:<seq>:<recipient>`)."""
    return lambda record: str(record.get("message_id", "")).startswith(f"alert:{case_id}:")


def report_capture(outbox: Path, reply: dict | None, records: list[dict], waited: float, timeout: float) -> str:
    if reply is None:
        return (f"No reply captured within {timeout:g} s of the post in {outbox}.\n"
                "The server may still be working (look in that file again in a moment), it may write its outbox "
                "elsewhere (its ADUAN_MEDIA_DIR; point --outbox at it), or it failed: its output (the `make run` "
                "terminal) says which. Undelivered messages: GET /api/outbox/failed.")
    lines = [f"Reply captured {waited:.1f} s after the post, in {outbox} (a local run sends nothing):",
             f"  {reply.get('channel')} -> {reply.get('recipient')}  case {reply.get('case_id') or '-'}  "
             f"({reply.get('purpose')})",
             f"  {reply.get('body')}"]
    alerts = [record for record in records if reply.get("case_id") and is_alert_for(reply["case_id"])(record)]
    for alert in alerts:
        lines.append(f"Officer alert captured too: {alert.get('channel')} -> {alert.get('recipient')}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("channel", choices=CHANNELS)
    parser.add_argument("text")
    parser.add_argument("--sender", help="the citizen's id on that channel (phone, user id, chat id)")
    parser.add_argument("--url", default=local_base_url(), help=f"the local server (default {local_base_url()})")
    parser.add_argument("--wait", type=float, default=10.0, help="seconds to wait for the captured reply (default 10)")
    parser.add_argument("--outbox", type=Path, default=None,
                        help="the server's captured outbox (default: .data/outbox-captured.jsonl, or next to "
                             "ADUAN_MEDIA_DIR when set)")
    args = parser.parse_args(argv)
    base_url = args.url.rstrip("/")
    outbox = args.outbox or default_outbox()
    env = stage_config_environment("local")
    path, body, headers = build(args.channel, args.text, args.sender or DEFAULT_SENDERS[args.channel], base_url, env)
    start, posted = outbox_size(outbox), time.monotonic()
    request = urllib.request.Request(base_url + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            status, answer = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, answer = error.code, error.read()
    except urllib.error.URLError as error:
        print(f"cannot reach {base_url}: {error.reason} — is `make run` running (on that port)?", file=sys.stderr)
        return 2
    print(f"POST {base_url}{path} -> {status}")
    print(answer.decode(errors="replace"))
    if status >= 400:
        return 1
    if not reply_expected(args.channel, args.text):
        if args.channel == "line-group":
            print("Sent from inside DPUPR's demo LINE group: chatter opens no case and gets no answer; a group code "
                  "(GRUP-…), STATUS <nomor> or INFO is answered in the group.")
        return 0
    event = delivery_id(args.channel, body)
    print(f"waiting up to {args.wait:g} s for the reply to {event} in {outbox} ...", flush=True)
    reply, records = wait_for(outbox, start, is_reply_to(str(event)), args.wait)
    waited = time.monotonic() - posted
    if reply is not None and reply.get("case_id") and reply.get("purpose") == "opened":  # alert: within a second
        _, records = wait_for(outbox, start, is_alert_for(reply["case_id"]), min(2.0, args.wait))
    print(report_capture(outbox, reply, records, waited, args.wait))
    return 0 if reply is not None else 1


if __name__ == "__main__":
    sys.exit(main())
