"""The status comment on a project's issue: its view model, the renderer, the Mermaid graph, and
Markdown made safe.
"""
