"""Durable subscriptions: who wants what, with a read cursor for "what did I miss"."""
