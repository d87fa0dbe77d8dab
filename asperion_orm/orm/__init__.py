"""The ORM: fields, lookups, queries and their planner, querysets, managers and models.

It reaches the API only through a ``Session`` and knows nothing of the shipped catalogue.
"""
