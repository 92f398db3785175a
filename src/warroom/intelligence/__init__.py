"""Incident intelligence: triage, correlation, remediation, comms, postmortems, numbers.

Deterministic and explainable: every conclusion carries the facts it came from. AI
assistants on the MCP door turn these facts into prose; the server needs no model.
"""
