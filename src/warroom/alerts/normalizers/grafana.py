"""Grafana unified alerting, contact point "webhook" (payload version 1).

Grafana's body extends Alertmanager's, so each entry of `alerts[]` is read by the same rules
(see `alertmanager.py`) and then gains Grafana's own links: `dashboardURL`, `panelURL` and
`silenceURL`. Grafana computes a `fingerprint` per alert; it is used as is.
"""

from __future__ import annotations

import dataclasses

from warroom.alerts.config import IntegrationConfig
from warroom.alerts.model import AlertSource, NormalizedAlert
from warroom.alerts.normalizers._fields import Obj
from warroom.alerts.normalizers.alertmanager import EntryReader


def normalize_grafana(payload: object, config: IntegrationConfig) -> list[NormalizedAlert]:
    body = Obj.root(payload)
    alerts: list[NormalizedAlert] = []
    # Grafana's externalURL is Grafana's root, not an Alertmanager UI: no silence link is
    # built from it; Grafana sends its own silenceURL instead.
    reader = EntryReader(config, external_url=None, source=AlertSource.GRAFANA)
    for entry in body.objects("alerts", required=True):
        alert = reader.alert(entry)
        links = dataclasses.replace(
            alert.links,
            dashboard=entry.url("dashboardURL") or alert.links.dashboard,
            panel=entry.url("panelURL"),
            silence=entry.url("silenceURL"),
        )
        alerts.append(dataclasses.replace(alert, links=links))
    return alerts
