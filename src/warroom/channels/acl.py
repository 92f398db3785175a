"""Who may do what on a channel: pure rules, checked by the services for every door.

- public: every authenticated principal reads and publishes.
- private: listed to everyone; reading and publishing need an ACL grant.
- confidential: like private, and invisible to anyone who may not read it (its name is
  answered with the same 404 as a channel that does not exist).

Grants: `read` ⊂ `publish` ⊂ `admin`, to `principal:<id>`, `group:<name>` or `*`.
Admin principals may do everything; a token's scopes cap what its principal may do.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from warroom.identity.models import Principal, Scope


class Visibility(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"
    CONFIDENTIAL = "confidential"


class Permission(StrEnum):
    READ = "read"
    PUBLISH = "publish"
    ADMIN = "admin"


_IMPLIES = {
    Permission.READ: {Permission.READ},
    Permission.PUBLISH: {Permission.READ, Permission.PUBLISH},
    Permission.ADMIN: {Permission.READ, Permission.PUBLISH, Permission.ADMIN},
}
_SCOPE_FOR = {
    Permission.READ: Scope.READ,
    Permission.PUBLISH: Scope.PUBLISH,
    Permission.ADMIN: Scope.ADMIN,
}


def subjects_of(p: Principal) -> set[str]:
    return {"*", f"principal:{p.id}", *(f"group:{g}" for g in p.groups)}


def permissions(
    principal: Principal,
    visibility: Visibility,
    created_by: str,
    grants: Iterable[tuple[str, str]],
) -> frozenset[Permission]:
    """The permissions `principal` holds on a channel, before token scopes are applied."""
    if principal.is_admin:
        held = set(Permission)
    else:
        held = set()
        if visibility is Visibility.PUBLIC:
            held |= {Permission.READ, Permission.PUBLISH}
        if created_by == principal.id:
            held |= set(Permission)
        mine = subjects_of(principal)
        for subject, perm in grants:
            if subject in mine and perm in Permission.__members__.values():
                held |= _IMPLIES[Permission(perm)]
    return frozenset(p for p in held if principal.has_scope(_SCOPE_FOR[p]))


def is_visible(visibility: Visibility, perms: frozenset[Permission]) -> bool:
    """Whether the channel's existence may be shown to this principal at all."""
    return visibility is not Visibility.CONFIDENTIAL or Permission.READ in perms


def parse_subject(subject: str) -> str:
    """Validate an ACL subject; raise ValueError telling the accepted forms."""
    if subject == "*" or (subject.startswith(("principal:", "group:")) and len(subject.split(":", 1)[1]) > 0):
        return subject
    raise ValueError(f"ACL subject {subject!r} is not valid; use principal:<id>, group:<name> or *")
