"""Routes: which escalation policy pages for an alert, by where it came from and severity.

Precedence, most specific first:

1. scope — a route naming the service beats any that does not; then one naming the
   integration; then one naming the channel. A route naming nothing is the catch-all.
2. severity — within the same scope, a route listing severities beats one that takes
   any, and fewer listed beats more (`{critical}` before `{critical, high}`).
3. order — among equals, the route listed first wins.

A route matches only when every field it names equals the alert's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from warroom.priority import Priority, parse_priority

PriorityField = Annotated[Priority, BeforeValidator(parse_priority)]


class Route(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    policy_id: str = Field(min_length=1)
    service: str | None = None
    integration: str | None = None
    channel: str | None = None
    severities: frozenset[PriorityField] | None = Field(
        default=None, min_length=1, description="None takes every severity."
    )

    def matches(
        self,
        *,
        service: str | None,
        integration: str | None,
        channel: str | None,
        priority: Priority,
    ) -> bool:
        return (
            (self.service is None or self.service == service)
            and (self.integration is None or self.integration == integration)
            and (self.channel is None or self.channel == channel)
            and (self.severities is None or priority in self.severities)
        )

    @property
    def specificity(self) -> tuple[bool, bool, bool, bool, int]:
        """Larger is more specific; compared as a tuple, so scope outranks severity."""
        listed = len(self.severities) if self.severities is not None else len(Priority)
        return (
            self.service is not None,
            self.integration is not None,
            self.channel is not None,
            self.severities is not None,
            -listed,
        )


def choose_route(
    routes: Sequence[Route],
    *,
    service: str | None,
    integration: str | None,
    channel: str | None,
    priority: Priority,
) -> Route | None:
    """The most specific matching route (see the module doc); None when nothing matches."""
    best: Route | None = None
    for route in routes:
        if not route.matches(service=service, integration=integration, channel=channel, priority=priority):
            continue
        # Strictly greater keeps the earliest of equally specific routes.
        if best is None or route.specificity > best.specificity:
            best = route
    return best
