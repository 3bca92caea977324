"""Slash commands: the parser, the one command table, intake of a comment, the job that runs them,
the commands by family.
"""
