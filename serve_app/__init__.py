"""Ray Serve FastAPI application (REST, ingest, WebSocket, dashboard)."""
