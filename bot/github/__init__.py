"""GitHub's edge: the REST client, App auth, rate limits, and every operation the app performs on a
repository.
"""
