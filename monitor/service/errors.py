"""Errors of the moderation-queue service, each with the HTTP status the API answers with.

::

    LivemonError
    └── ServiceError           a request the service refuses (``status`` is the HTTP code)
        ├── NotFound           404: no such case, user or token
        ├── Forbidden          403: the caller's role may not do this
        ├── Conflict           409: the thing is not in a state that allows this
        │   └── LeaseConflict  409: the lease is not the caller's, or it has lapsed
        └── Invalid            422: well-formed but unacceptable input
"""

from __future__ import annotations

from monitor.errors import LivemonError

__all__ = ["Conflict", "Forbidden", "Invalid", "LeaseConflict", "NotFound", "ServiceError"]


class ServiceError(LivemonError):
    """A request the service refuses; nothing was changed."""

    status = 400


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409


class LeaseConflict(Conflict):
    pass


class Invalid(ServiceError):
    status = 422
