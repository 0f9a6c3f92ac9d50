"""The JSON of one OpenAI chat request, and the ChatResult of its completion.

Pure functions shared by the direct path (seedbed/llm/openai_backend.py) and the
Batch API (seedbed/llm/openai_batches.py), so both send and read the same shapes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from openai.types import CompletionUsage
from openai.types.chat import ChatCompletion

from seedbed.llm.base import ChatResult
from seedbed.models import GenerationParams, Message, Usage


def chat_body(
    model: str, messages: Sequence[Message], params: GenerationParams, extra: Mapping[str, Any]
) -> dict[str, Any]:
    """The JSON body of one chat request, the `extra` fields included."""
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": m.role, "content": m.content} for m in messages],
        "temperature": params.temperature,
        "top_p": params.top_p,
        "max_tokens": params.max_tokens,
        "presence_penalty": params.presence_penalty,
    }
    if params.stop:  # some servers reject an empty stop list
        body["stop"] = params.stop
    return body | dict(extra)


def completion_result(response: ChatCompletion, model: str) -> ChatResult:
    """The ChatResult of a completion; `model` names it when the server does not."""
    if not response.choices:
        return ChatResult(
            model=response.model or model,
            usage=_usage(response.usage),
            error="The server returned a reply with no choices.",
        )
    choice = response.choices[0]
    return reply_result(
        choice.message.content or "",
        model=response.model or model,
        usage=response.usage,
        finish_reason=choice.finish_reason,
    )


def reply_result(
    text: str, *, model: str, usage: CompletionUsage | None, finish_reason: str | None
) -> ChatResult:
    """The ChatResult of a reply's text, whole or joined from a stream's pieces."""
    result = ChatResult(model=model, usage=_usage(usage), finish_reason=finish_reason)
    if not text.strip():
        result.error = "The server returned an empty reply."
    else:
        result.text = text
    return result


def _usage(usage: CompletionUsage | None) -> Usage:
    """Token counts; zero where the server does not say (some local servers omit usage)."""
    return Usage(
        prompt_tokens=(usage.prompt_tokens or 0) if usage else 0,
        completion_tokens=(usage.completion_tokens or 0) if usage else 0,
    )


def read_completion(body: dict[str, Any], model: str) -> ChatResult:
    """The ChatResult of a completion given as JSON (a Batch API output line's body)."""
    try:
        response = ChatCompletion.model_validate(body)
    except ValueError as exc:
        return ChatResult(model=model, error=f"The reply was not a chat completion ({exc}).")
    return completion_result(response, model)
