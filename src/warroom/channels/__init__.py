"""Channels: named streams with a visibility and an access-control list."""
