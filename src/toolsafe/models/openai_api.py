"""Any OpenAI-compatible chat-completions endpoint (vLLM, llama.cpp server, Ollama, hosted APIs).

Requests run concurrently on a thread pool. Connection errors, timeouts, 408/409/429 and 5xx
answers are retried with exponential backoff; a request that still fails becomes a
:class:`ChatResponse` with ``error`` set, so one bad request never stops a run. :meth:`check`
lets a command fail fast, with one line, when the endpoint is down or does not serve the model.

Wire formats: ``native`` sends the tools as ``tools`` (plus the confirmation tool) and reads
``tool_calls``; ``tagged`` renders the tools into the system prompt and parses the reply text.
A request's ``case_id`` travels in the ``X-Toolsafe-Case-Id`` header (other servers ignore it), so
the project's own server can answer with a ``replay:`` or ``scripted:`` model.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from toolsafe.models.base import (
    CASE_ID_HEADER,
    ChatRequest,
    ChatResponse,
    WireFormat,
    failed_response,
    mark_truncated,
)
from toolsafe.models.errors import ModelSpecError, ModelUnavailableError
from toolsafe.protocol import (
    CONFIRM_TOOL,
    CONFIRM_TOOL_SCHEMA,
    parse_openai_message,
    parse_tagged,
    to_tagged_chat,
)

if TYPE_CHECKING:
    import openai

API_KEY_ENV = "OPENAI_API_KEY"
LOCAL_API_KEY = "EMPTY"
RETRYABLE_STATUS = frozenset({408, 409, 429})
MAX_BACKOFF_S = 30.0
MAX_ERROR_CHARS = 300


class OpenAIChatModel:
    """A model behind an OpenAI-compatible ``/v1/chat/completions`` endpoint.

    Args:
        base_url: The API root, e.g. ``http://127.0.0.1:8000/v1``.
        model: The model name the server expects.
        wire_format: ``native`` (tool calls) or ``tagged`` (tools in the system prompt).
        concurrency: Most requests in flight at once.
        timeout_s: Per-attempt timeout.
        retries: Extra attempts after a retryable failure.
        backoff_s: First retry delay; doubles on each further attempt (capped at 30 s).
        api_key: Defaults to ``$OPENAI_API_KEY``, or ``EMPTY`` for local servers.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        wire_format: WireFormat = "native",
        concurrency: int = 8,
        timeout_s: float = 120.0,
        retries: int = 4,
        backoff_s: float = 1.0,
        api_key: str | None = None,
    ) -> None:
        if wire_format not in ("native", "tagged"):
            raise ModelSpecError(f"format must be 'native' or 'tagged', got {wire_format!r}")
        if concurrency < 1 or retries < 0 or timeout_s <= 0 or backoff_s < 0:
            raise ModelSpecError("concurrency >= 1, retries >= 0, timeout > 0 and backoff >= 0 are required")
        import openai

        self.base_url = base_url
        self.model = model
        self.name = f"openai:{model}"
        self.wire_format: WireFormat = wire_format
        self.concurrency = concurrency
        self.retries = retries
        self.backoff_s = backoff_s
        key = api_key or os.environ.get(API_KEY_ENV) or LOCAL_API_KEY
        self.client = openai.OpenAI(base_url=base_url, api_key=key, timeout=timeout_s, max_retries=0)

    def check(self, timeout_s: float = 10.0) -> None:
        """Raise :class:`ModelUnavailableError` (one line) if the endpoint is down or lacks the model."""
        import openai

        client = self.client.with_options(timeout=timeout_s, max_retries=0)
        try:
            served = [entry.id for entry in client.models.list()]
        except openai.AuthenticationError as error:
            raise ModelUnavailableError(
                f"{self.base_url} rejected the API key; set ${API_KEY_ENV}"
            ) from error
        except (openai.NotFoundError, openai.PermissionDeniedError):
            return  # the server does not list models; the first request will tell
        except openai.APIError as error:
            raise ModelUnavailableError(
                f"{self.base_url} is not reachable ({_one_line(error)}); start the server or fix the URL"
            ) from error
        if served and self.model not in served:
            listed = ", ".join(served[:10])
            raise ModelUnavailableError(f"{self.base_url} does not serve {self.model!r}; it serves: {listed}")

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
        """Send every request (at most ``concurrency`` at once); results come back in order."""
        if not requests:
            return []
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(requests))) as pool:
            return list(pool.map(self.generate_one, requests))

    def generate_one(self, request: ChatRequest) -> ChatResponse:
        """One request with retries; never raises for endpoint or network failures."""
        import openai

        body = self._body(request)
        attempt = 0
        while True:
            try:
                completion = self.client.chat.completions.create(**body)
                return self._response(completion)
            except openai.APIError as error:
                if attempt >= self.retries or not _retryable(error):
                    tries = f" after {attempt + 1} attempts" if attempt else ""
                    return failed_response(f"{self.base_url}{tries}: {_one_line(error)}")
                time.sleep(_delay(error, self.backoff_s, attempt))
                attempt += 1
            except Exception as error:  # a malformed reply must not end the run either
                return failed_response(f"{self.base_url}: {_one_line(error)}")

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "seed": request.seed,
        }
        if request.case_id:
            body["extra_headers"] = {CASE_ID_HEADER: request.case_id}
        if self.wire_format == "tagged":
            body["messages"] = to_tagged_chat(list(request.messages), list(request.tools))
            return body
        body["messages"] = [_wire_message(m) for m in request.messages]
        if request.tools:
            names = {t.get("function", {}).get("name") for t in request.tools}
            confirm = [] if CONFIRM_TOOL in names else [CONFIRM_TOOL_SCHEMA]
            body["tools"] = [*request.tools, *confirm]
        return body

    def _response(self, completion: openai.types.chat.ChatCompletion) -> ChatResponse:
        if not completion.choices:
            return failed_response(f"{self.base_url}: the reply has no choices")
        choice = completion.choices[0]
        finish = choice.finish_reason or "stop"
        message = choice.message.model_dump(exclude_none=True)
        usage = completion.usage.model_dump(exclude_none=True) if completion.usage else {}
        usage = {k: v for k, v in usage.items() if isinstance(v, int)}
        stopped = finish != "length"
        if self.wire_format == "tagged":
            content = message.get("content") or ""
            parsed = parse_tagged(content, stopped=stopped)
            return ChatResponse(parsed, content, message, finish, usage=usage)
        parsed = parse_openai_message(message)
        if not stopped:
            parsed = mark_truncated(parsed)
        return ChatResponse(parsed, json.dumps(message, ensure_ascii=False), message, finish, usage=usage)


def _wire_message(message: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI message with tool-call arguments as JSON strings (HF-style messages hold dicts)."""
    calls = message.get("tool_calls")
    if not calls:
        return dict(message)
    fixed = []
    for call in calls:
        function = dict(call.get("function") or {})
        if not isinstance(function.get("arguments"), str):
            function["arguments"] = json.dumps(function.get("arguments") or {}, ensure_ascii=False)
        fixed.append({**call, "type": call.get("type", "function"), "function": function})
    return {**message, "tool_calls": fixed}


def _retryable(error: Exception) -> bool:
    import openai

    if isinstance(error, openai.APIConnectionError):  # includes timeouts
        return True
    if isinstance(error, openai.APIStatusError):
        return error.status_code in RETRYABLE_STATUS or error.status_code >= 500
    return False


def _delay(error: Exception, backoff_s: float, attempt: int) -> float:
    """Exponential backoff, or the server's ``Retry-After`` when it gives one (both capped)."""
    response = getattr(error, "response", None)
    header = response.headers.get("retry-after") if response is not None else None
    if header:
        try:
            return min(MAX_BACKOFF_S, max(0.0, float(header)))
        except ValueError:
            pass
    return float(min(MAX_BACKOFF_S, backoff_s * 2**attempt))


def _one_line(error: BaseException) -> str:
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text[:MAX_ERROR_CHARS]
