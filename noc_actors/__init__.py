"""NOC: a real-time operations center built as long-lived Ray actors.

Layers, each importable without the one above it:

- ``noc_actors.domain``  pure rules (no Ray, no I/O, no clock reads)
- ``noc_actors.store``   SQLAlchemy 2 async storage for PostgreSQL and SQLite
- ``noc_actors.actors``  Ray actors that own state and time
- ``serve_app``          FastAPI routers deployed with Ray Serve
"""

__version__ = "0.1.0"
