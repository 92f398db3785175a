"""Principals and scopes, resolved at the door and checked in the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Scope(StrEnum):
    READ = "read"
    PUBLISH = "publish"
    ADMIN = "admin"


ALL_SCOPES = frozenset(Scope)
DEFAULT_SCOPES = frozenset({Scope.READ, Scope.PUBLISH})


@dataclass(frozen=True)
class Principal:
    id: str
    name: str
    kind: str = "user"
    groups: frozenset[str] = frozenset()
    is_admin: bool = False
    scopes: frozenset[Scope] = ALL_SCOPES
    role: str | None = None
    ai_tool: str | None = None
    token_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    def has_scope(self, scope: Scope) -> bool:
        return scope in self.scopes or Scope.ADMIN in self.scopes

    @property
    def acts_as_admin(self) -> bool:
        return self.is_admin and Scope.ADMIN in self.scopes


# Used when the server is bound to loopback and has no tokens: the person at the keyboard.
LOCAL = Principal(id="local", name="Local user", is_admin=True, scopes=ALL_SCOPES)
