"""A small local OpenAI-compatible server: the test double for the real llama-index client.

Speaks the parts of the protocol the assistant uses: `GET /v1/models`, `POST /v1/chat/completions`
non-streaming (one JSON body) and streaming (server-sent events: `data: {chunk}` lines, then
`data: [DONE]`). Each test scripts the replies: a list consumed in order, or a function of the
request. A reply can also fail the way real servers do: an HTTP error status with an OpenAI error
body (500, 401 for a wrong key, 404 for an unknown model), a malformed body, or no answer at all.

stdlib only (http.server in a thread), so a test starts one in milliseconds; every request is kept
in `requests` for the test to read.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    """What the server answers to one chat request."""

    text: str = ""
    status: int = 200
    token_delay_s: float = 0.0  # pause before each streamed token (and before a non-streamed body)
    raw: bytes | None = None  # a malformed body sent as is (status 200 unless `status` says otherwise)
    hang: bool = False  # accept the request, never answer


def tokens(text: str) -> list[str]:
    """The pieces a streamed reply arrives in: words with their trailing space, markers on their own."""
    return re.findall(r"\[\d+\]|[^\s\[]+\s*|\s+|\[", text)


@dataclass
class LLMServer:
    """The server and its script; `url` is the base URL to give ASSISTANT_LLM_BASE_URL (ends in /v1)."""

    replies: list[Reply] | Callable[[dict], Reply] = field(default_factory=list)
    models: tuple[str, ...] = ("test-model",)
    api_key: str = ""  # when set, requests without `Authorization: Bearer <api_key>` get 401
    hang_everything: bool = False  # a server that accepts connections and never answers anything
    requests: list[dict] = field(default_factory=list)  # chat request bodies, in order
    _httpd: ThreadingHTTPServer | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> "LLMServer":
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()  # releases hanging handlers
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def next_reply(self, body: dict) -> Reply:
        if callable(self.replies):
            return self.replies(body)
        if not self.replies:
            return Reply(status=500, text="the test scripted no reply for this request")
        return self.replies.pop(0)

    def __enter__(self) -> "LLMServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _error(message: str, code: str) -> dict:
    return {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}


def _chunk(model: str, delta: dict, finish: str | None = None) -> dict:
    return {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}  # fmt: skip


def _handler(server: LLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def _json(self, status: int, body: dict) -> None:
            self._send(status, json.dumps(body).encode(), "application/json")

        def _send(self, status: int, data: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _hang(self) -> None:
            server._stop.wait(120)

        def _authorised(self) -> bool:
            if server.api_key and self.headers.get("Authorization") != f"Bearer {server.api_key}":
                self._json(401, _error("Incorrect API key provided.", "invalid_api_key"))
                return False
            return True

        def do_GET(self) -> None:
            if server.hang_everything:
                return self._hang()
            if self.path.rstrip("/") != "/v1/models":
                return self._json(404, _error(f"no route {self.path}", "not_found"))
            if self._authorised():
                self._json(
                    200,
                    {
                        "object": "list",
                        "data": [{"id": m, "object": "model", "owned_by": "test"} for m in server.models],
                    },
                )

        def do_POST(self) -> None:
            if server.hang_everything:
                return self._hang()
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if self.path != "/v1/chat/completions":
                return self._json(404, _error(f"no route {self.path}", "not_found"))
            server.requests.append(body)
            if not self._authorised():
                return
            model = body.get("model", "")
            if model not in server.models:
                return self._json(404, _error(f"The model `{model}` does not exist.", "model_not_found"))
            reply = server.next_reply(body)
            if reply.hang:
                return self._hang()
            time.sleep(reply.token_delay_s if not body.get("stream") else 0)
            if reply.status != 200:
                return self._json(
                    reply.status,
                    {"error": {"message": reply.text or "internal error", "type": "server_error", "code": None}},
                )
            if reply.raw is not None and not body.get("stream"):
                return self._send(200, reply.raw, "application/json")
            if body.get("stream"):
                return self._stream(model, reply)
            self._json(200, {
                "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": model,
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": reply.text}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": len(tokens(reply.text)), "total_tokens": 1 + len(tokens(reply.text))},
            })  # fmt: skip

        def _stream(self, model: str, reply: Reply) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()  # HTTP/1.0: the body ends when the connection closes

            def event(data: str) -> None:
                self.wfile.write(f"data: {data}\n\n".encode())
                self.wfile.flush()

            try:
                self._events(model, reply, event)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading (closed the stream): nothing more to send

        def _events(self, model: str, reply: Reply, event) -> None:
            event(json.dumps(_chunk(model, {"role": "assistant", "content": ""})))
            if reply.raw is not None:
                self.wfile.write(reply.raw)
                self.wfile.flush()
                return
            for tok in tokens(reply.text):
                if reply.token_delay_s:
                    time.sleep(reply.token_delay_s)
                event(json.dumps(_chunk(model, {"content": tok})))
            event(json.dumps(_chunk(model, {}, "stop")))
            event("[DONE]")

    return Handler


# the scripted model most LLM tests use ---------------------------------------------------------

QUESTION_EN = "Who is Julien Guerrier, the ambassador of the European Union?"
INVENTED = "Ông là John Smith"  # the claim no source supports
GLOSS = "The European Union ambassador to Vietnam is Julien Guerrier."


def sources(body: dict) -> dict[int, str]:
    """The numbered passages of an answer request, as the model sees them."""
    user = body["messages"][-1]["content"]
    return {int(n): t for n, t in re.findall(r'<source id="(\d+)"[^>]*>\n(.*?)\n</source>', user, re.DOTALL)}


def is_gloss_request(body: dict) -> bool:
    return body["messages"][0]["content"].startswith("You translate quotations")


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+", text.strip())[0]


def copying_model(delay_s: float = 0.0, gloss: str = GLOSS):
    """A scripted model: copies source 1's first sentence [1], adds an invented claim [1]; translates quotes."""

    def reply(body: dict) -> Reply:
        if is_gloss_request(body):
            n = len(re.findall(r"<quote id=", body["messages"][-1]["content"]))
            return Reply("\n".join(f"[{i}] {gloss}" for i in range(1, n + 1)), token_delay_s=delay_s)
        return Reply(f"{first_sentence(sources(body)[1])} [1] {INVENTED} [1].", token_delay_s=delay_s)

    return reply
