"""Errors of alert ingestion, rooted in the core hierarchy so every door maps them once.

They also subclass ValueError: callers that only know "the input was bad" can catch that.
"""

from __future__ import annotations

from warroom.errors import InvalidInput, Unauthorized


class PayloadError(InvalidInput, ValueError):
    """A webhook body that does not have the shape its source documents.

    `path` points at the offending field (`alerts[3].labels`, `event.data.id`, `payload` for
    the body itself), so the sender can fix their template without reading our code.
    """

    status = 400  # the whole delivery is refused: nothing of it is stored
    code = "bad_payload"

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path} {problem}", field=path)
        self.path = path
        self.problem = problem


class SignatureError(Unauthorized, ValueError):
    """A webhook whose signature is missing, malformed or made with another secret."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


class MatcherError(InvalidInput, ValueError):
    """A silence matcher that cannot be parsed or whose regular expression is invalid."""

    def __init__(self, message: str, *, matcher: str | None = None) -> None:
        super().__init__(message, field="matchers", matcher=matcher)


class UnknownSourceError(InvalidInput, ValueError):
    """An integration source name this version does not know."""

    def __init__(self, source: str, known: str) -> None:
        super().__init__(f"alert source {source!r} is not known; use one of {known}", field="source")
