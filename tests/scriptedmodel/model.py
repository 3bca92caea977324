"""A scripted model behind `httpx2.MockTransport`: answers OpenAI `POST /v1/chat/completions`
and Anthropic `POST /v1/messages` in their wire formats, choosing each answer by the agent step
named in the request, and records every request.

    model = ScriptedModel()
    model.script("validator.review", Review(...))                 # every review
    model.script("developer.phase_files", "not json", times=1)    # first answer invalid
    model.script("developer.phase_files", lambda request: PhaseFiles(...))
    client = httpx2.AsyncClient(transport=model.transport)

Rules of a step are tried in the order given; a rule with `times` is used that often and then
skipped. A request no rule answers gets the provider's 400 error (and is in `unanswered`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx2
from pydantic import BaseModel

from tests.scriptedmodel import wire

STEP = re.compile(r"\[step: ([\w.]+)\]")
PHASE = re.compile(r"^## Phase (\d+):", re.MULTILINE)


@dataclass(frozen=True)
class Reply:
    """A raw answer: any text (valid or not) and how the model stopped."""

    text: str
    stop: wire.Stop = "stop"


Answer = BaseModel | dict[str, Any] | str | Reply


@dataclass(frozen=True)
class RecordedRequest:
    provider: Literal["openai", "anthropic"]
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def system(self) -> str:
        """The stable part: OpenAI's system message, Anthropic's system blocks."""
        if self.provider == "openai":
            return "".join(m["content"] for m in self.body["messages"] if m["role"] == "system")
        system = self.body.get("system", "")
        return system if isinstance(system, str) else "".join(b["text"] for b in system)

    @property
    def conversation(self) -> list[dict[str, Any]]:
        return [m for m in self.body["messages"] if m["role"] != "system"]

    @property
    def user(self) -> str:
        """The changing part: the first user message."""
        return _content(self.conversation[0])

    @property
    def text(self) -> str:
        return "\n".join([self.system, *(_content(m) for m in self.conversation)])

    @property
    def step(self) -> str | None:
        match = STEP.search(self.user) if self.conversation else None
        return match[1] if match else None

    @property
    def phase(self) -> int | None:
        match = PHASE.search(self.user)
        return int(match[1]) if match else None

    @property
    def schema(self) -> dict[str, Any] | None:
        """The JSON schema the request asks the answer to follow."""
        if self.provider == "openai":
            response_format = self.body.get("response_format") or {}
            schema = response_format.get("json_schema", {}).get("schema")
        else:
            output_format = (self.body.get("output_config") or {}).get("format") or {}
            schema = output_format.get("schema")
        return schema if isinstance(schema, dict) else None


def _content(message: dict[str, Any]) -> str:
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(block.get("text", "") for block in content)


Responder = Callable[[RecordedRequest], Answer]


@dataclass
class Rule:
    step: str
    respond: Responder
    times: int | None
    used: int = 0

    def available(self) -> bool:
        return self.times is None or self.used < self.times


def _as_text(answer: Answer) -> Reply:
    if isinstance(answer, Reply):
        return answer
    if isinstance(answer, BaseModel):
        return Reply(answer.model_dump_json())
    if isinstance(answer, dict):
        return Reply(json.dumps(answer))
    return Reply(answer)


@dataclass
class ScriptedModel:
    rules: list[Rule] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    unanswered: list[RecordedRequest] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)  # bodies of the answers
    cache: wire.PromptCache = field(default_factory=wire.PromptCache)
    created: int = 1_767_225_600  # a fixed time for `created`

    def script(self, step: str, answer: Answer | Responder, *, times: int | None = None) -> None:
        respond: Responder = answer if callable(answer) else (lambda _request: answer)
        self.rules.append(Rule(step, respond, times))

    @property
    def transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self.handle)

    def calls(self, step: str | None = None) -> list[RecordedRequest]:
        return [r for r in self.requests if step is None or r.step == step]

    def _answer(self, request: RecordedRequest) -> Reply | None:
        for rule in self.rules:
            if rule.step == request.step and rule.available():
                rule.used += 1
                return _as_text(rule.respond(request))
        return None

    @staticmethod
    def recorded(request: httpx2.Request) -> RecordedRequest | None:
        """The request as a provider's call (its content read), None for any other endpoint."""
        path = request.url.path
        provider: Literal["openai", "anthropic"]
        if request.method == "POST" and path.endswith("/chat/completions"):
            provider = "openai"
        elif request.method == "POST" and path.endswith("/v1/messages"):
            provider = "anthropic"
        else:
            return None
        headers = {key.lower(): value for key, value in request.headers.items()}
        return RecordedRequest(provider, path, headers, json.loads(request.content))

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        recorded = self.recorded(request)
        if recorded is None:
            return httpx2.Response(404, json={"error": f"no such endpoint {request.url.path}"})
        if recorded.provider == "openai":
            return self._openai(recorded)
        return self._anthropic(recorded)

    def _openai(self, request: RecordedRequest) -> httpx2.Response:
        self.requests.append(request)
        if not request.headers.get("authorization", "").removeprefix("Bearer ").strip():
            return httpx2.Response(401, json=wire.openai_error("no API key", "invalid_api_key"))
        problem = wire.strict_schema_problem(request.schema or {})
        if problem:
            return httpx2.Response(400, json=wire.openai_error(f"Invalid schema: {problem}"))
        reply = self._answer(request)
        if reply is None:
            self.unanswered.append(request)
            message = f"scripted model has no answer for step {request.step}"
            return httpx2.Response(400, json=wire.openai_error(message))
        model = request.body["model"]
        total = wire.tokens(request.text) + wire.MESSAGE_OVERHEAD * len(request.body["messages"])
        counted = self.cache.openai(model, request.system, total)
        usage = wire.Tokens(counted.uncached, counted.cached, output=wire.tokens(reply.text))
        number = len(self.requests)
        payload = wire.openai_completion(
            number=number,
            model=model,
            text=reply.text,
            stop=reply.stop,
            usage=usage,
            created=self.created,
        )
        self.responses.append(payload)
        return httpx2.Response(200, json=payload, headers={"x-request-id": f"req_{number:06d}"})

    def _anthropic(self, request: RecordedRequest) -> httpx2.Response:
        self.requests.append(request)
        # anthropic 2.x sends the key as a Bearer token; older clients used x-api-key.
        key = request.headers.get("x-api-key") or request.headers.get("authorization", "")
        if not key.removeprefix("Bearer ").strip() or "anthropic-version" not in request.headers:
            return httpx2.Response(
                401, json=wire.anthropic_error("missing x-api-key", "authentication_error")
            )
        reply = self._answer(request)
        if reply is None:
            self.unanswered.append(request)
            message = f"scripted model has no answer for step {request.step}"
            return httpx2.Response(400, json=wire.anthropic_error(message))
        model = request.body["model"]
        total = wire.tokens(request.text) + wire.MESSAGE_OVERHEAD * (
            1 + len(request.body["messages"])
        )
        counted = self.cache.anthropic(model, _cached_prefix(request.body), total)
        usage = wire.Tokens(
            counted.uncached, counted.cached, counted.written, output=wire.tokens(reply.text)
        )
        number = len(self.requests)
        payload = wire.anthropic_message(
            number=number, model=model, text=reply.text, stop=reply.stop, usage=usage
        )
        self.responses.append(payload)
        return httpx2.Response(200, json=payload, headers={"request-id": f"req_{number:06d}"})


def calls_by_phase(model: ScriptedModel, since: int = 0) -> list[tuple[str | None, int | None]]:
    """(step, phase) of each model request from index `since` on."""
    return [(r.step, r.phase) for r in model.requests[since:]]


def _cached_prefix(body: dict[str, Any]) -> str | None:
    """The system text up to the last block marked with cache_control, if any."""
    system = body.get("system")
    if not isinstance(system, list):
        return None
    marked = [i for i, block in enumerate(system) if block.get("cache_control")]
    if not marked:
        return None
    return "".join(block["text"] for block in system[: marked[-1] + 1])
