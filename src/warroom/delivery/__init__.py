"""Delivery: the durable outbox and the workers that send what it holds."""
