"""Escalation policies: who gets paged, in which order, until someone acknowledges.

Timing, PagerDuty style: level 0 is paged when the incident triggers; each level's `delay`
is how long it has before the next level is paged, so level N+1 is due `levels[N].delay`
after level N. After the last level the whole policy runs again `repeat` more times, the
last level's delay leading back to level 0; the very last step's delay is never used.
Stopping on acknowledge or resolve is the service's job: these functions only say what is
due when.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from warroom.errors import InvalidInput
from warroom.paging.localtime import UtcDatetime, require_utc

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class TargetKind(StrEnum):
    USER = "user"
    SCHEDULE = "schedule"
    CHANNEL = "channel"


class Target(BaseModel):
    """Whom a level pages: a person, whoever a schedule has on call, or a channel."""

    model_config = _FROZEN

    kind: TargetKind
    id: str = Field(min_length=1)

    @classmethod
    def user(cls, user_id: str) -> Target:
        return cls(kind=TargetKind.USER, id=user_id)

    @classmethod
    def schedule(cls, schedule_id: str) -> Target:
        return cls(kind=TargetKind.SCHEDULE, id=schedule_id)

    @classmethod
    def channel(cls, channel_id: str) -> Target:
        return cls(kind=TargetKind.CHANNEL, id=channel_id)


class EscalationLevel(BaseModel):
    model_config = _FROZEN

    targets: tuple[Target, ...] = Field(min_length=1)
    delay: timedelta = Field(
        default=timedelta(minutes=30),
        description="How long this level has before the next one is paged.",
    )

    @field_validator("delay")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        # Zero would page two levels at once (that is one level with more targets) and
        # would let repeats fire all at the same instant.
        if value <= timedelta(0):
            raise ValueError(
                "delay must be positive, e.g. 5 minutes; put targets paged together in the same level"
            )
        return value


class EscalationPolicy(BaseModel):
    model_config = _FROZEN

    id: str = Field(min_length=1)
    name: str = ""
    levels: tuple[EscalationLevel, ...] = Field(min_length=1)
    repeat: int = Field(default=0, ge=0, description="Extra rounds after the last level.")

    @property
    def step_count(self) -> int:
        return len(self.levels) * (self.repeat + 1)


class EscalationStep(BaseModel):
    """One page to send: step `index` counts from 0 across all rounds."""

    model_config = _FROZEN

    index: int
    level_index: int
    round: int
    due_at: UtcDatetime
    targets: tuple[Target, ...]


def plan(policy: EscalationPolicy, triggered_at: datetime) -> list[EscalationStep]:
    """Every step the policy would take if nobody ever acknowledged, in firing order."""
    due = require_utc(triggered_at, "triggered_at")
    steps: list[EscalationStep] = []
    for round_ in range(policy.repeat + 1):
        for level_index, level in enumerate(policy.levels):
            steps.append(
                EscalationStep(
                    index=len(steps),
                    level_index=level_index,
                    round=round_,
                    due_at=due,
                    targets=level.targets,
                )
            )
            due += level.delay
    return steps


def _check_fired(fired: int, name: str) -> None:
    if fired < 0:
        raise InvalidInput(f"{name} must be 0 or more, got {fired}", field=name)


def next_step(
    policy: EscalationPolicy, triggered_at: datetime, fired_steps_count: int
) -> EscalationStep | None:
    """The step after the `fired_steps_count` already sent; None once the policy is spent."""
    _check_fired(fired_steps_count, "fired_steps_count")
    steps = plan(policy, triggered_at)
    return steps[fired_steps_count] if fired_steps_count < len(steps) else None


def steps_due(
    policy: EscalationPolicy, triggered_at: datetime, now: datetime, already_fired: int
) -> list[EscalationStep]:
    """The steps due by `now` that have not fired yet, in order.

    Built for a clock worker that restarts: it stores only how many steps it fired, and
    after any outage this returns exactly the missing ones — each once, none early.
    """
    _check_fired(already_fired, "already_fired")
    now = require_utc(now, "now")
    return [s for s in plan(policy, triggered_at)[already_fired:] if s.due_at <= now]
