"""Any OpenAI-compatible chat endpoint: OpenAI itself, vLLM, Ollama, llama.cpp's server."""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import openai

from ..errors import ModelCallError, ModelSetupError
from .base import ChatRequest, ChatResponse, TransientError

log = logging.getLogger("synthusers.model")


def _retry_after(error: openai.APIStatusError) -> float | None:
    value = error.response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _check_url(url: str) -> None:
    """Refuse a base URL the HTTP client would choke on, before any request."""
    problem = f"OPENAI_BASE_URL {_shown(url)!r} is not a usable URL"
    example = "use e.g. http://127.0.0.1:8000/v1"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ModelSetupError(f"{problem}; {example}")
    try:
        port = parts.port
    except ValueError:
        raise ModelSetupError(f"{problem}: bad port; {example}") from None
    if port == 0:
        raise ModelSetupError(f"{problem}: port 0; {example}")


def _shown(url: str) -> str:
    """The URL without any user name or password in it, fit for messages and logs."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


class OpenAIModel:
    """Talks to a chat-completions endpoint through the openai SDK.

    The base URL and key come from OPENAI_BASE_URL and OPENAI_API_KEY, as in the SDK.
    Replies are constrained with a JSON schema; servers that only know the older
    `json_object` form (llama.cpp's) are detected on the first refusal and served that.
    """

    def __init__(self, model: str, *, timeout_s: float = 120.0) -> None:
        base_url = os.environ.get("OPENAI_BASE_URL") or None
        api_key = os.environ.get("OPENAI_API_KEY")
        if not api_key and base_url is None:
            raise ModelSetupError(
                f"openai:{model} needs OPENAI_API_KEY, or OPENAI_BASE_URL for a local server"
            )
        if base_url is not None:
            _check_url(base_url)
        self.model = model
        self.base_url = _shown(base_url or "https://api.openai.com/v1")
        self._client = openai.AsyncOpenAI(
            api_key=api_key or "unused", base_url=base_url, max_retries=0, timeout=timeout_s
        )
        self._json_object_only = False
        self.timeout_s = timeout_s

    @property
    def name(self) -> str:
        return f"openai:{self.model}"

    async def check(self) -> None:
        """Reach the server once before the run: wrong URL, key or model fail here."""
        try:
            page = await self._client.models.list()
        except openai.NotFoundError:
            return
        except (openai.APIConnectionError, openai.APITimeoutError):
            raise ModelSetupError(
                f"cannot reach {self.base_url}; is the server running? check OPENAI_BASE_URL"
            ) from None
        except openai.APIError as error:
            translated = self._translate(error)
            if isinstance(translated, ModelSetupError):
                raise translated from None
            log.info("model list unavailable (%s); going on", error)
            return
        served = [entry.id for entry in page.data]
        if served and self.model not in served:
            shown = ", ".join(sorted(served)[:8])
            raise ModelSetupError(
                f"{self.base_url} has no model {self.model!r}; it serves: {shown}"
            )

    def _response_format(self, request: ChatRequest) -> dict[str, Any]:
        if self._json_object_only:
            return {"type": "json_object", "schema": request.schema}
        return {
            "type": "json_schema",
            "json_schema": {"name": request.schema_name, "schema": request.schema},
        }

    async def complete(self, request: ChatRequest) -> ChatResponse:
        try:
            return await self._create(request)
        except (openai.BadRequestError, openai.InternalServerError) as error:
            if self._json_object_only or "json_schema" not in str(error):
                raise self._translate(error) from None
            log.info("%s does not take json_schema; using json_object", self.base_url)
            self._json_object_only = True
            try:
                return await self._create(request)
            except openai.APIError as retry_error:
                raise self._translate(retry_error) from None
        except openai.APIError as error:
            raise self._translate(error) from None

    async def _create(self, request: ChatRequest) -> ChatResponse:
        create: Any = self._client.chat.completions.create
        completion = await create(
            model=self.model,
            messages=request.messages,
            response_format=self._response_format(request),
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            seed=request.seed,
        )
        if not completion.choices:
            raise TransientError(f"{self.name}: the server sent no choices")
        choice = completion.choices[0]
        usage = completion.usage
        text: str = choice.message.content or ""
        return ChatResponse(
            text=text,
            model=completion.model or self.name,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            finish_reason=choice.finish_reason or "stop",
        )

    def _translate(self, error: openai.APIError) -> Exception:
        if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
            return ModelSetupError(
                f"{self.base_url} refused the API key ({error.status_code}); check OPENAI_API_KEY"
            )
        if isinstance(error, openai.NotFoundError):
            return ModelSetupError(
                f"{self.base_url} has no model {self.model!r} (404); check the model name"
            )
        if isinstance(error, openai.RateLimitError):
            return TransientError(f"rate limited (429) by {self.base_url}", _retry_after(error))
        if isinstance(error, openai.APIStatusError) and error.status_code >= 500:
            return TransientError(f"server error {error.status_code} from {self.base_url}")
        if isinstance(error, openai.APITimeoutError):
            return TransientError(f"no reply from {self.base_url} within {self.timeout_s:g} s")
        if isinstance(error, openai.APIConnectionError):
            return TransientError(f"cannot reach {self.base_url}")
        return ModelCallError(f"{self.name}: {error}")

    async def aclose(self) -> None:
        await self._client.close()
