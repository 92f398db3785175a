"""Messages: what is published to a channel, their filters, history and search."""
