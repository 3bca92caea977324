"""The agents' exceptions: a small hierarchy callers can catch narrowly or as `AgentError`."""

from __future__ import annotations


class AgentError(Exception):
    """Something in the agents' layer failed; the message is meant for the status comment."""


class ProviderKeyMissing(AgentError):
    """A role is configured for a provider whose API key is not set."""


class ModelPriceMissing(AgentError):
    """A role's model has no price, so its spend could not be counted against the budget."""


class AgentOutputError(AgentError):
    """The model's answer did not validate twice in a row."""

    def __init__(self, *, role: str, step: str, problem: str) -> None:
        self.role = role
        self.step = step
        self.problem = problem
        super().__init__(f"the {role} agent gave an invalid answer twice at step {step}: {problem}")


class EditError(AgentError):
    """A search/replace edit does not apply to the file it names."""


class UnknownTemplate(AgentError):
    """No prompt template exists for a step."""


class ProviderError(AgentError):
    """The provider's API failed after the SDK's own retries (status, timeout, connection)."""
