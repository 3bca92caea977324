"""The ASGI app and its routes: the webhook endpoint and its group-commit intake, health, and
first-run setup.
"""
