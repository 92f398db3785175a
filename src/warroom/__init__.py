"""warroom: an incident war room for on-call teams and their AI assistants."""

__version__ = "0.1.0"
