"""Ray actors: thin shells that own state and time around the domain core.

Every actor is named and detached in the Ray namespace ``noc`` (see
``names``), restartable (``max_restarts=-1``) and reloads its hard state from
the database when it (re)starts. Routes and other actors never touch handles
directly: they go through the gateway in ``client``.
"""
