"""Incidents: a thread with a lifecycle, fed by alerts and by people."""
