"""Types shared by the service tests (a module of its own: `conftest` is not importable by name)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from warroom.identity.models import Principal

PeopleFactory = Callable[..., Awaitable[Principal]]
