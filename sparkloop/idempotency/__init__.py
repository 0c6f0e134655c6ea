"""Idempotency keys: a retried write runs once (contract: Bulk, Idempotency keys)."""
