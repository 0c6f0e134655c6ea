"""Batch writes of subscribers: many creates or updates in one request, one transaction."""
