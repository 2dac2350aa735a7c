"""Model access: one interface for every backend, and the one place calls are made."""

from .base import ChatModel, ChatRequest, ChatResponse, Message
from .client import ModelClient
from .registry import open_model

__all__ = ["ChatModel", "ChatRequest", "ChatResponse", "Message", "ModelClient", "open_model"]
