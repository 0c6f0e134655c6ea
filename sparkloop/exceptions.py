"""Domain errors raised by services; the API error handler maps them to the wire format."""

from __future__ import annotations


class ServiceError(Exception):
    """A business rule refused the operation. `message` is the wire `error` string."""

    status_code = 400

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class NotFound(ServiceError):
    status_code = 404


class Conflict(ServiceError):
    """A uniqueness rule (SparkLoop answers these with 400, so do we)."""


class InvalidState(ServiceError):
    """The object is not in a state that allows the operation."""


class LimitExceeded(ServiceError):
    """A cap on how many of something a team may have (not a rate limit: that is a 429)."""
