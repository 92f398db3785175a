"""The REST door: FastAPI routes, live streams (SSE, WebSocket), auth and limits."""
