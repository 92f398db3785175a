"""Channel access rules: visibility, grants, read ⊂ publish ⊂ admin, admins, token scopes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.channels.acl import Permission, Visibility, is_visible, parse_subject, permissions, subjects_of
from warroom.identity.models import ALL_SCOPES, DEFAULT_SCOPES, LOCAL, Principal, Scope

R, P, A = Permission.READ, Permission.PUBLISH, Permission.ADMIN
TOM = Principal(id="tom", name="Tom", groups=frozenset({"sre", "db"}))
OWNER = "sarah"


def perms(
    p: Principal,
    vis: str,
    grants: tuple[tuple[str, str], ...] | list[tuple[str, str]] = (),
    created_by: str = OWNER,
) -> set[Permission]:
    return set(permissions(p, Visibility(vis), created_by, grants))


def test_public_lets_everyone_read_and_publish_but_not_administer() -> None:
    assert perms(TOM, "public") == {R, P}
    assert is_visible(Visibility.PUBLIC, frozenset())


@pytest.mark.parametrize("vis", ["private", "confidential"])
def test_private_and_confidential_give_nothing_without_a_grant(vis: str) -> None:
    assert perms(TOM, vis) == set()


def test_confidential_is_invisible_without_read_but_private_is_listed() -> None:
    assert not is_visible(Visibility.CONFIDENTIAL, frozenset())
    assert is_visible(Visibility.CONFIDENTIAL, frozenset({R}))
    assert is_visible(Visibility.PRIVATE, frozenset())
    # publish or admin imply read, so they make a confidential channel visible too
    assert is_visible(
        Visibility.CONFIDENTIAL,
        frozenset(permissions(TOM, Visibility.CONFIDENTIAL, OWNER, [("*", "publish")])),
    )


@pytest.mark.parametrize(
    ("grant", "expected"),
    [("read", {R}), ("publish", {R, P}), ("admin", {R, P, A})],
)
@pytest.mark.parametrize("subject", ["principal:tom", "group:sre", "group:db", "*"])
@pytest.mark.parametrize("vis", ["private", "confidential"])
def test_grants_imply_the_lesser_permissions(
    vis: str, subject: str, grant: str, expected: set[Permission]
) -> None:
    assert perms(TOM, vis, [(subject, grant)]) == expected


@pytest.mark.parametrize(
    "subject",
    ["principal:sarah", "principal:to", "principal:tom2", "group:net", "group:SRE", "tom", "group:"],
)
def test_grants_to_others_do_not_apply(subject: str) -> None:
    assert perms(TOM, "private", [(subject, "admin")]) == set()


def test_grants_add_up_and_unknown_permissions_are_ignored() -> None:
    grants = [("group:sre", "read"), ("principal:tom", "publish"), ("*", "owner"), ("group:db", "bogus")]
    assert perms(TOM, "private", grants) == {R, P}


def test_public_plus_admin_grant() -> None:
    assert perms(TOM, "public", [("group:db", "admin")]) == {R, P, A}


@pytest.mark.parametrize("vis", list(Visibility))
def test_the_creator_holds_everything(vis: Visibility) -> None:
    assert perms(TOM, vis.value, created_by="tom") == {R, P, A}


@pytest.mark.parametrize("vis", list(Visibility))
def test_admin_principals_hold_everything(vis: Visibility) -> None:
    admin = Principal(id="root", name="Root", is_admin=True)
    assert perms(admin, vis.value) == {R, P, A}
    assert perms(LOCAL, vis.value) == {R, P, A}


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        (frozenset({Scope.READ}), {R}),
        (DEFAULT_SCOPES, {R, P}),
        (frozenset({Scope.PUBLISH}), {P}),
        (frozenset({Scope.ADMIN}), {R, P, A}),  # admin scope covers the others
        (ALL_SCOPES, {R, P, A}),
        (frozenset(), set()),
    ],
)
def test_token_scopes_cap_what_a_principal_holds(scopes: frozenset[Scope], expected: set[Permission]) -> None:
    admin = Principal(id="root", name="Root", is_admin=True, scopes=scopes)
    assert perms(admin, "confidential") == expected
    owner = Principal(id="tom", name="Tom", scopes=scopes)
    assert perms(owner, "private", created_by="tom") == expected


def test_read_only_token_on_public_channel_cannot_publish() -> None:
    reader = Principal(id="tom", name="Tom", scopes=frozenset({Scope.READ}))
    assert perms(reader, "public") == {R}


def test_acts_as_admin_needs_both_the_flag_and_the_scope() -> None:
    assert Principal(id="a", name="a", is_admin=True).acts_as_admin
    assert not Principal(id="a", name="a", is_admin=True, scopes=DEFAULT_SCOPES).acts_as_admin
    assert not Principal(id="a", name="a", scopes=ALL_SCOPES).acts_as_admin


def test_subjects_of() -> None:
    assert subjects_of(TOM) == {"*", "principal:tom", "group:sre", "group:db"}


@pytest.mark.parametrize("ok", ["*", "principal:tom", "group:sre", "principal:a:b"])
def test_parse_subject_accepts(ok: str) -> None:
    assert parse_subject(ok) == ok


@pytest.mark.parametrize("bad", ["", "tom", "principal:", "group:", "user:tom", "**", " *"])
def test_parse_subject_rejects_with_the_accepted_forms(bad: str) -> None:
    with pytest.raises(ValueError, match=r"principal:<id>, group:<name> or \*"):
        parse_subject(bad)


grants_st = st.lists(
    st.tuples(
        st.sampled_from(["*", "principal:tom", "principal:ann", "group:sre", "group:net"]),
        st.sampled_from(["read", "publish", "admin"]),
    ),
    max_size=5,
)


@given(
    st.sampled_from(list(Visibility)),
    grants_st,
    st.frozensets(st.sampled_from(list(Scope))),
    st.booleans(),
    st.sampled_from(["tom", "sarah"]),
)
def test_permissions_are_downward_closed_and_monotonic(
    vis: Visibility, grants: list[tuple[str, str]], scopes: frozenset[Scope], is_admin: bool, creator: str
) -> None:
    p = Principal(id="tom", name="Tom", groups=frozenset({"sre"}), is_admin=is_admin, scopes=scopes)
    held = permissions(p, vis, creator, grants)
    full = Principal(id="tom", name="Tom", groups=frozenset({"sre"}), is_admin=is_admin)
    unscoped = permissions(full, vis, creator, grants)
    # scopes only ever take away
    assert held <= unscoped
    # without scope games, admin ⇒ publish ⇒ read
    if A in unscoped:
        assert P in unscoped
    if P in unscoped:
        assert R in unscoped
    # more grants never take anything away
    assert unscoped <= permissions(full, vis, creator, [*grants, ("group:net", "admin")])
