"""A real HTTP receiver for webhook tests: a threaded ``http.server`` on a free
loopback port that records every request and answers what the test says."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: Message
    body: bytes
    at: float = field(default_factory=time.monotonic)

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def event_id(self) -> str:
        return self.headers["Jifen-Event-Id"]


# Receivers listen on a loopback address of their own, in the range the test stack
# allows for webhooks (POINTS_WEBHOOK_ALLOWED_NETWORKS); the services themselves, on
# 127.0.0.1, stay out of reach of webhooks as they would in production.
RECEIVER_HOST = "127.77.0.1"
RECEIVER_NETWORK = "127.77.0.0/16"

# (request, how many requests for this event came before it) -> HTTP status to answer
Responder = Callable[[Received, int], int]


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # several workers connect at once
    daemon_threads = True


class Receiver:
    def __init__(self, respond: Responder | None = None, *, delay: float = 0.0,
                 host: str = RECEIVER_HOST) -> None:
        self.respond: Responder = respond or (lambda _request, _seen: 200)
        self.delay = delay
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._server = _Server((host, 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hooks/jifen"

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def for_event(self, event_id: str) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.event_id == str(event_id)]

    async def wait_for(self, event_id: str, count: int = 1, within: float = 60) -> list[Received]:
        """Until ``count`` requests for the event arrived; then those requests."""
        deadline = time.monotonic() + within
        while len(got := self.for_event(event_id)) < count:
            assert time.monotonic() < deadline, (
                f"{len(got)} of {count} requests for {event_id} arrived")
            await asyncio.sleep(0.05)
        return got

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = Received(path=self.path, headers=self.headers, body=body)
                with receiver._lock:
                    seen = sum(1 for r in receiver.requests
                               if r.event_id == request.event_id)
                    receiver.requests.append(request)
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.respond(request, seen)
                answer = json.dumps({"received": status < 300, "备注": "已收到"},
                                    ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the receiver's own record of requests is what tests read."""

        return Handler
