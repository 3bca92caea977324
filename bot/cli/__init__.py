"""The `ai-orchestrator` command line, one module per command family."""
