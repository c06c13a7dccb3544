"""The campaign API on 127.0.0.1: a small HTTP server that does what API Gateway does for the stack's HTTP API.

Each request becomes a payload 2.0 event and goes to `handlers.api.app.handler`, one at a time (one Lambda
container; Powertools' resolver keeps the current event on itself). The JWT authorizer is a local bearer token:
without it, or with another, the answer is API Gateway's own 401 and the function is not called.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from handlers.api.routes import READ_SCOPE, WRITE_SCOPE

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway HTTP API's payload limit
LOCAL_TEAM = "local-team"
LOCAL_USER = "local-user"


def local_claims(issuer: str) -> dict[str, str]:
    """What the stack's Cognito authorizer would hand over for a token of a user in the group `local-team`, with
    both scopes (list claims arrive flattened to text, as API Gateway sends them)."""
    now = int(time.time())
    return {
        "sub": LOCAL_USER,
        "username": LOCAL_USER,
        "cognito:groups": f"[{LOCAL_TEAM}]",
        "scope": f"{READ_SCOPE} {WRITE_SCOPE}",
        "token_use": "access",
        "client_id": "local",
        "iss": issuer,
        "iat": str(now),
        "exp": str(now + 12 * 3600),
    }


class LocalApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler: Callable[[dict[str, Any], Any], dict[str, Any]], context: Any, port: int = 0):
        super().__init__(("127.0.0.1", port), _RequestHandler)
        self.function, self.context = handler, context
        self.token = secrets.token_urlsafe(24)
        self.claims = local_claims(self.url + "/local-issuer")
        self.one_at_a_time = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def event(self, method: str, target: str, headers: dict[str, str], body: bytes, source_ip: str) -> dict[str, Any]:
        """The payload 2.0 event API Gateway would send for this request."""
        parts = urlsplit(target)
        query: dict[str, list[str]] = {}
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            query.setdefault(name, []).append(value)
        try:
            text, encoded = body.decode("utf-8"), False
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode(), True
        now = time.time()
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": parts.path,
            "rawQueryString": parts.query,
            "headers": headers | {"x-forwarded-proto": "http"},
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "local",
                "domainName": self.url.removeprefix("http://"),
                "domainPrefix": "local",
                "http": {
                    "method": method,
                    "path": parts.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": source_ip,
                    "userAgent": headers.get("user-agent", ""),
                },
                "requestId": str(uuid.uuid4()),
                "routeKey": "$default",
                "stage": "$default",
                "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "timeEpoch": int(now * 1000),
                "authorizer": {"jwt": {"claims": self.claims, "scopes": None}},
            },
            "isBase64Encoded": encoded,
        }
        if query:
            event["queryStringParameters"] = {name: ",".join(values) for name, values in query.items()}
        if body:
            event["body"] = text
        return event

    def authorized(self, headers: dict[str, str]) -> bool:
        return secrets.compare_digest(headers.get("authorization", ""), f"Bearer {self.token}")


class _RequestHandler(BaseHTTPRequestHandler):
    server: LocalApiServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_PUT(self) -> None:
        self._answer()

    def do_DELETE(self) -> None:
        self._answer()

    def _answer(self) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        length = int(headers.get("content-length") or 0)
        if length > MAX_PAYLOAD_BYTES:
            self._send(413, {"message": "Request Entity Too Large"})
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        if not self.server.authorized(headers):
            self._send(401, {"message": "Unauthorized"})  # API Gateway's JWT authorizer: the function never runs
            return
        event = self.server.event(self.command, self.path, headers, body, self.client_address[0])
        with self.server.one_at_a_time:
            answer = self.server.function(event, self.server.context)
        payload = answer.get("body") or ""
        raw = base64.b64decode(payload) if answer.get("isBase64Encoded") else payload.encode()
        self._send(answer.get("statusCode", 200), raw, answer.get("headers") or {})

    def _send(self, status: int, body: dict[str, Any] | bytes, headers: dict[str, str] | None = None) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {"Content-Type": "application/json"}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # the function logs each request; the server's own line per request would only repeat it
