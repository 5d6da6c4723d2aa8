"""A fake provider API over real HTTP on loopback: records every request, answers as scripted.

Stands in for LINE, Meta Graph, Twilio, Telegram and an SMS gateway at once (their paths differ), serves
media bytes, and can fail the first N requests to a path to simulate an outage.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + b"\x00" * 200 + b"\xff\xd9"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class FakeProvider:
    host: str = "127.0.0.1"
    requests: list[Recorded] = field(default_factory=list)
    scripted: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    media: dict[str, bytes] = field(default_factory=dict)

    def start(self) -> FakeProvider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                record = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with provider._lock:
                    provider.requests.append(record)
                    status, payload, content_type = provider._answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _handle

        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer((self.host, 0), Handler)
        self.url = f"http://{self.host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-provider", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def script(self, path_prefix: str, *responses: tuple[int, bytes | dict]) -> None:
        """Answer the next requests under `path_prefix` with these (status, body) in order, then 200."""
        for status, body in responses:
            payload = json.dumps(body).encode() if isinstance(body, dict) else body
            self.scripted[path_prefix].append((status, payload))

    def fail_first(self, path_prefix: str, count: int, status: int = 503) -> None:
        self.script(path_prefix, *[(status, {"error": "unavailable"})] * count)

    def _answer(self, path: str) -> tuple[int, bytes, str]:
        for prefix, queue in self.scripted.items():
            if path.startswith(prefix) and queue:
                status, payload = queue.popleft()
                return status, payload, "application/json"
        for prefix, data in self.media.items():
            if path.startswith(prefix):
                return 200, data, "application/octet-stream"
        return 200, b'{"ok":true,"result":{},"messages":[{"id":"wamid.fake"}],"sid":"SMfake"}', "application/json"

    def sent_to(self, path_fragment: str) -> list[Recorded]:
        return [r for r in self.requests if path_fragment in r.path and r.method == "POST"]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.scripted.clear()
