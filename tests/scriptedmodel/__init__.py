"""The scripted model: OpenAI and Anthropic answers in their wire formats, without a network."""

from tests.scriptedmodel.model import RecordedRequest, Reply, ScriptedModel

__all__ = ["RecordedRequest", "Reply", "ScriptedModel"]
