"""Shared API plumbing: authentication, tenancy, parsing, pagination, errors."""
