import pytest
from pydantic import ValidationError

from warroom.paging.routing import Route, choose_route
from warroom.priority import Priority

ROUTES = [
    Route(policy_id="default"),
    Route(policy_id="channel", channel="incidents"),
    Route(policy_id="integration", integration="alertmanager"),
    Route(policy_id="service", service="payments"),
    Route(policy_id="service-urgent", service="payments", severities={"critical", "high"}),
    Route(policy_id="service-p0", service="payments", severities={"P0"}),
    Route(policy_id="service-grafana", service="payments", integration="grafana"),
]


def choose(
    priority: Priority,
    service: str | None = "payments",
    integration: str | None = "alertmanager",
    channel: str | None = "incidents",
) -> str | None:
    route = choose_route(ROUTES, service=service, integration=integration, channel=channel, priority=priority)
    return route.policy_id if route else None


@pytest.mark.parametrize(
    ("priority", "expected"),
    [
        (Priority.CRITICAL, "service-p0"),
        (Priority.HIGH, "service-urgent"),
        (Priority.MEDIUM, "service"),
        (Priority.LOW, "service"),
    ],
)
def test_most_specific_severity_within_the_service(priority: Priority, expected: str) -> None:
    assert choose(priority) == expected


def test_scope_outranks_severity() -> None:
    # service + integration beats service + severity, whatever the severity.
    assert choose(Priority.CRITICAL, integration="grafana") == "service-grafana"
    assert choose(Priority.CRITICAL, service="search") == "integration"
    assert choose(Priority.LOW, service=None, integration=None) == "channel"
    assert choose(Priority.LOW, service=None, integration=None, channel="ops") == "default"


def test_no_match_and_ties() -> None:
    assert choose_route([], service="x", integration=None, channel=None, priority=Priority.LOW) is None
    only = [Route(policy_id="pay", service="payments")]
    assert choose_route(only, service="search", integration=None, channel=None, priority=Priority.LOW) is None
    twins = [Route(policy_id="first", channel="c"), Route(policy_id="second", channel="c")]
    route = choose_route(twins, service=None, integration=None, channel="c", priority=Priority.LOW)
    assert route is not None and route.policy_id == "first"


def test_severities_accept_every_priority_spelling() -> None:
    route = Route(policy_id="p", severities={"P1", "5", "Medium"})
    assert route.severities == frozenset({Priority.HIGH, Priority.CRITICAL, Priority.MEDIUM})
    with pytest.raises(ValidationError):
        Route(policy_id="p", severities={"urgent"})
    with pytest.raises(ValidationError):
        Route(policy_id="p", severities=set())
