"""The event log: the spine every live reader follows with a cursor."""
