"""The scripted model: OpenAI and Anthropic answers in their wire formats, without a network."""

from tests.scriptedmodel.model import RecordedRequest, Reply, ScriptedModel, calls_by_phase

__all__ = ["RecordedRequest", "Reply", "ScriptedModel", "calls_by_phase"]
