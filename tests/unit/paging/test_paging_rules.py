from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from warroom.paging.rules import (
    Notification,
    NotificationRule,
    UserNotificationRules,
    notifications_due,
    notifications_for,
)
from warroom.priority import Priority

PAGED = datetime(2026, 1, 12, 2, 47, tzinfo=UTC)


def after(minutes: int) -> datetime:
    return PAGED + timedelta(minutes=minutes)


RULES = UserNotificationRules(
    important=(
        NotificationRule(contact_method_id="ntfy"),
        NotificationRule(contact_method_id="phone", delay=timedelta(minutes=5)),
        NotificationRule(contact_method_id="pagerduty", delay=timedelta(minutes=2)),
    ),
    other=(
        NotificationRule(contact_method_id="email"),
        NotificationRule(contact_method_id="ntfy", delay=timedelta(minutes=30)),
    ),
)


def test_critical_uses_the_important_rules_soonest_first() -> None:
    assert notifications_for(RULES, Priority.CRITICAL, PAGED) == [
        Notification("ntfy", PAGED),
        Notification("pagerduty", after(2)),
        Notification("phone", after(5)),
    ]


def test_other_priorities_use_the_other_rules() -> None:
    expected = [("email", PAGED), ("ntfy", after(30))]
    assert notifications_for(RULES, Priority.HIGH, PAGED) == expected
    assert notifications_for(RULES, Priority.LOW, PAGED) == expected


def test_which_priorities_are_important_is_configurable() -> None:
    rules = RULES.model_copy(update={"important_priorities": frozenset({Priority.CRITICAL, Priority.HIGH})})
    assert [n.contact_method_id for n in notifications_for(rules, Priority.HIGH, PAGED)] == [
        "ntfy",
        "pagerduty",
        "phone",
    ]
    parsed = UserNotificationRules.model_validate({"important_priorities": ["P0", "p1"]})
    assert parsed.important_priorities == {Priority.CRITICAL, Priority.HIGH}


def test_ties_keep_the_given_order_and_duplicates_are_sent_once() -> None:
    rules = UserNotificationRules(
        important=(
            NotificationRule(contact_method_id="slack"),
            NotificationRule(contact_method_id="ntfy"),
            NotificationRule(contact_method_id="slack"),
            NotificationRule(contact_method_id="slack", delay=timedelta(minutes=1)),
        )
    )
    assert notifications_for(rules, Priority.CRITICAL, PAGED) == [
        ("slack", PAGED),
        ("ntfy", PAGED),
        ("slack", after(1)),
    ]


def test_no_rules_means_no_notifications() -> None:
    assert notifications_for(UserNotificationRules(), Priority.CRITICAL, PAGED) == []


def test_notifications_due_resumes_after_a_restart() -> None:
    assert notifications_due(RULES, Priority.CRITICAL, PAGED, after(1), 0) == [("ntfy", PAGED)]
    assert notifications_due(RULES, Priority.CRITICAL, PAGED, after(1), 1) == []
    assert notifications_due(RULES, Priority.CRITICAL, PAGED, after(9), 1) == [
        ("pagerduty", after(2)),
        ("phone", after(5)),
    ]


def test_invalid_rules() -> None:
    with pytest.raises(ValidationError, match="cannot be negative"):
        NotificationRule(contact_method_id="x", delay=timedelta(seconds=-1))
    with pytest.raises(ValidationError):
        NotificationRule(contact_method_id="")
