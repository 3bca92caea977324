"""The five agents (manager, developer, validator, git, integration) over OpenAI and Anthropic.

Build one `agents.runtime.build_runtime(...)` per process; construct `Manager(rt)`,
`Developer(rt)`, … per job; every step goes through `agents.callpath.call`.
"""
