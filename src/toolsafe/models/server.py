"""Serve any :class:`ChatModel` on an OpenAI-compatible HTTP endpoint (stdlib only).

``POST /v1/chat/completions`` (non-streaming) and ``GET /v1/models``. Concurrent HTTP requests
are gathered into micro-batches, so a local model generates them together. When a request
offers tools, a tagged-format model's answer comes back as native ``tool_calls`` (confirmation
requests become calls of :data:`~toolsafe.protocol.CONFIRM_TOOL`); without tools the generated
text comes back as ``content`` unchanged, for clients that speak the tagged format themselves.
The ``X-Toolsafe-Case-Id`` header, when sent, becomes the request's ``case_id`` (what ``replay:``
and ``scripted:`` models key on).

Run ``python -m toolsafe.models.server SPEC --port 8000`` to serve a model spec.
"""

from __future__ import annotations

import argparse
import itertools
import json
import queue
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from toolsafe.models.base import CASE_ID_HEADER, ChatModel, ChatRequest, ChatResponse, failed_response
from toolsafe.protocol import CONFIRM_TOOL, to_openai_message

DEFAULT_MAX_TOKENS = 256
SHUTDOWN_POLL_S = 0.05


class ChatServer:
    """An HTTP server in front of one model; ``start()`` runs it on background threads.

    Args:
        model: The model to serve.
        host: Interface to bind (loopback by default).
        port: TCP port; 0 picks a free one (see :attr:`port`).
        max_batch: Most requests handed to ``model.generate`` at once.
        max_wait_s: How long the first request of a batch waits for others to join it.
        quiet: Do not log each request to stderr.
    """

    def __init__(
        self,
        model: ChatModel,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_batch: int = 16,
        max_wait_s: float = 0.01,
        quiet: bool = False,
    ) -> None:
        self.model = model
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self._pending: queue.Queue[tuple[ChatRequest, Future[ChatResponse]] | None] = queue.Queue()
        self._ids = itertools.count(1)
        self._httpd = ThreadingHTTPServer((host, port), _handler_class(self, quiet))
        self._httpd.daemon_threads = True
        self._threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        """The bound TCP port."""
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The API root for OpenAI clients, e.g. ``http://127.0.0.1:8000/v1``."""
        host = self._httpd.server_address[0]
        return f"http://{host if isinstance(host, str) else host.decode()}:{self.port}/v1"

    def start(self) -> ChatServer:
        """Serve on background threads until :meth:`stop`."""
        for target in (self._batch_loop, self._serve):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (the batcher runs in the background)."""
        batcher = threading.Thread(target=self._batch_loop, daemon=True)
        batcher.start()
        self._threads.append(batcher)
        self._serve()

    def _serve(self) -> None:
        self._httpd.serve_forever(poll_interval=SHUTDOWN_POLL_S)

    def stop(self) -> None:
        """Stop accepting requests and release the port."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._pending.put(None)
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> ChatServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def submit(self, request: ChatRequest) -> ChatResponse:
        """Queue a request for the next batch and wait for its response."""
        future: Future[ChatResponse] = Future()
        self._pending.put((request, future))
        return future.result()

    def _batch_loop(self) -> None:
        while True:
            first = self._pending.get()
            if first is None:
                return
            batch = [first]
            deadline = time.monotonic() + self.max_wait_s
            while len(batch) < self.max_batch:
                try:
                    item = self._pending.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    self._pending.put(None)
                    break
                batch.append(item)
            self._run_batch(batch)

    def _run_batch(self, batch: Sequence[tuple[ChatRequest, Future[ChatResponse]]]) -> None:
        try:
            responses = self.model.generate([request for request, _ in batch])
        except Exception as error:  # a backend bug answers 500, it does not kill the server
            responses = [failed_response(f"{type(error).__name__}: {error}")] * len(batch)
        for (_, future), response in zip(batch, responses, strict=True):
            future.set_result(response)

    def completion(self, body: dict[str, Any], case_id: str = "") -> tuple[int, dict[str, Any]]:
        """Answer one chat-completions request body: ``(HTTP status, JSON body)``."""
        problem = _invalid(body, self.model.name)
        if problem is not None:
            return problem
        tools = [t for t in body.get("tools") or [] if (t.get("function") or {}).get("name") != CONFIRM_TOOL]
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens") or DEFAULT_MAX_TOKENS
        request = ChatRequest(
            messages=body["messages"],
            tools=tools,
            max_tokens=int(max_tokens),
            temperature=float(body.get("temperature") or 0.0),
            seed=int(body.get("seed") or 0),
            case_id=case_id,
        )
        response = self.submit(request)
        if response.error is not None:
            return 500, _error(response.error, "server_error")
        return 200, self._completion_body(response, with_tools=bool(tools))

    def _completion_body(self, response: ChatResponse, *, with_tools: bool) -> dict[str, Any]:
        if self.model.wire_format == "tagged" and with_tools:
            message = to_openai_message(response.parsed.turn, id_prefix=f"call_{next(self._ids)}")
        elif self.model.wire_format == "tagged":
            message = {"role": "assistant", "content": response.raw}
        else:
            message = dict(response.message)
        finish = "tool_calls" if message.get("tool_calls") else response.finish_reason
        return {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model.name,
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": dict(response.usage),
        }

    def models(self) -> dict[str, Any]:
        """The ``/v1/models`` listing."""
        entry = {"id": self.model.name, "object": "model", "created": 0, "owned_by": "toolsafe"}
        return {"object": "list", "data": [entry]}


def _invalid(body: Any, served: str) -> tuple[int, dict[str, Any]] | None:
    if not isinstance(body, dict):
        return 400, _error("the request body must be a JSON object", "invalid_request_error")
    if body.get("model") != served:
        return 404, _error(
            f"model {body.get('model')!r} is not served here (serving {served!r})", "not_found"
        )
    messages = body.get("messages")
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        return 400, _error("'messages' must be a list of message objects", "invalid_request_error")
    if body.get("stream"):
        return 400, _error("streaming is not supported; send stream=false", "invalid_request_error")
    tools = body.get("tools") or []
    if not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools):
        return 400, _error("'tools' must be a list of tool objects", "invalid_request_error")
    return None


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": None, "param": None}}


def _handler_class(server: ChatServer, quiet: bool) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.rstrip("/") == "/v1/models":
                self._send(200, server.models())
            elif self.path.rstrip("/") in ("/health", "/v1/health"):
                self._send(200, {"status": "ok"})
            else:
                self._send(404, _error(f"no route {self.path}", "not_found"))

        def do_POST(self) -> None:
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send(404, _error(f"no route {self.path}", "not_found"))
                return
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"null")
            except ValueError:
                self._send(400, _error("the request body is not valid JSON", "invalid_request_error"))
                return
            try:
                status, payload = server.completion(body, self.headers.get(CASE_ID_HEADER) or "")
            except (TypeError, ValueError) as error:
                status, payload = 400, _error(f"bad request field: {error}", "invalid_request_error")
            self._send(status, payload)

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            if not quiet:
                super().log_message(format, *args)

    return Handler


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m toolsafe.models.server SPEC [--host H] [--port P]``: serve a model spec."""
    from toolsafe.models.registry import load_model

    parser = argparse.ArgumentParser(description="Serve a toolsafe model spec over the OpenAI chat API.")
    parser.add_argument("spec", help="model spec, e.g. smollm2 or hf:PATH")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--max-batch", type=int, default=16)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    server = ChatServer(
        load_model(args.spec), host=args.host, port=args.port, max_batch=args.max_batch, quiet=args.quiet
    )
    print(f"serving {server.model.name} at {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
