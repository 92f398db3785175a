"""Alert ingestion, the pure part: payloads in, canonical alerts and decisions out.

- `normalizers`: one per source, `normalize(source, payload, config)`;
- `severity`: raw values → P0–P3 with a stated rule;
- `fingerprint`: dedup identity and group keys;
- `silences`: matchers, silences, maintenance windows;
- `signatures`: webhook HMAC checks;
- `grouping`: what an incoming alert does to incidents.

No I/O happens here: the ingest service looks facts up and executes the decisions.
"""

from __future__ import annotations

from warroom.alerts.config import DEFAULT_CONFIG, IntegrationConfig
from warroom.alerts.errors import MatcherError, PayloadError, SignatureError, UnknownSourceError
from warroom.alerts.fingerprint import DEFAULT_GROUP_BY, compute_fingerprint, group_key, label_hash
from warroom.alerts.grouping import GroupingAction, GroupingDecision, GroupingInput, decide
from warroom.alerts.model import AlertAction, AlertLinks, AlertSource, AlertStatus, NormalizedAlert
from warroom.alerts.normalizers import normalize, normalize_body
from warroom.alerts.severity import SeverityDecision, SeverityPolicy, map_severity
from warroom.alerts.silences import Matcher, MatchOp, Silence, find_silence, parse_matchers

__all__ = [
    "DEFAULT_CONFIG",
    "DEFAULT_GROUP_BY",
    "AlertAction",
    "AlertLinks",
    "AlertSource",
    "AlertStatus",
    "GroupingAction",
    "GroupingDecision",
    "GroupingInput",
    "IntegrationConfig",
    "MatchOp",
    "Matcher",
    "MatcherError",
    "NormalizedAlert",
    "PayloadError",
    "SeverityDecision",
    "SeverityPolicy",
    "SignatureError",
    "Silence",
    "UnknownSourceError",
    "compute_fingerprint",
    "decide",
    "find_silence",
    "group_key",
    "label_hash",
    "map_severity",
    "normalize",
    "normalize_body",
    "parse_matchers",
]
