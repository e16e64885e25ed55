"""One error family for the whole application.

The web renders a ``KBError`` as ``errors/{status}.html`` or JSON; the CLI prints its message on one line
and exits non-zero. Anything else escaping is a bug.
"""

from __future__ import annotations


class KBError(Exception):
    status = 400

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class BadInput(KBError):
    status = 400


class NotFound(KBError):
    status = 404


class Forbidden(KBError):
    status = 403


class Unauthorized(KBError):
    status = 401


class Conflict(KBError):
    status = 409


class IngestError(KBError):
    status = 422


class SearchQueryError(KBError):
    status = 400
