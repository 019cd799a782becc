"""uvicorn's HTTP protocol with its one hard-wired answer made problem+json.

A request uvicorn cannot parse (a control character in a header, a malformed
request line) is answered by the protocol itself, before the application sees
it, as ``text/plain`` "Invalid HTTP request received.". Every other error of the
API is RFC 9457 problem+json, and clients parse one format, so this subclass
answers the same 400 as a problem document. Started with
``uvicorn --http shared.uvicorn_protocol:ProblemHttpToolsProtocol``.
"""

from __future__ import annotations

import json

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

PROBLEM_BASE = "https://jifen.dev/problems/"


def bad_request_body(message: str) -> bytes:
    return json.dumps({"type": PROBLEM_BASE + "bad-request", "title": "Bad request",
                       "status": 400, "detail": message}).encode()


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        body = bad_request_body(msg)
        content = [STATUS_LINE[400]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend([b"content-type: application/problem+json\r\n",
                        b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                        b"connection: close\r\n", b"\r\n", body])
        self.transport.write(b"".join(content))
        self.transport.close()
