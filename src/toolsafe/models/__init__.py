"""Model backends behind one :class:`~toolsafe.models.base.ChatModel` protocol."""

from toolsafe.models.base import ChatModel, ChatRequest, ChatResponse

__all__ = ["ChatModel", "ChatRequest", "ChatResponse"]
