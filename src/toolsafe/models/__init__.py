"""Model backends behind one :class:`~toolsafe.models.base.ChatModel` protocol, built from spec strings."""

from toolsafe.models.base import ChatModel, ChatRequest, ChatResponse, failed_response
from toolsafe.models.errors import ModelSpecError, ModelUnavailableError
from toolsafe.models.registry import load_model

__all__ = [
    "ChatModel",
    "ChatRequest",
    "ChatResponse",
    "ModelSpecError",
    "ModelUnavailableError",
    "failed_response",
    "load_model",
]
