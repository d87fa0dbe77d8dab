"""The wire: transport, retries, OAuth tokens, the response cache and error translation.

Nothing here knows a tenant, a query or a model; ``session.py`` builds on it.
"""
