"""The dashboard WebSocket ``/ws/noc/dashboard`` (SPEC section 12).

- ``protocol``   client and server messages, close codes, error mapping
- ``origin``     the browser origin allow-list
- ``filtering``  which hub events one socket may see
- ``sequence``   exactly-once, in-order delivery across resume and live stream
- ``ratelimit``  client messages per minute per user (Redis or in-process)
- ``fanout``     the replica's socket registry and event dispatcher
- ``pump``       the replica's one hub subscription, feeding cache and sockets
- ``connection`` one socket: bounded send queue, writer task, liveness, lag
- ``handlers``   what each client message does
- ``endpoint``   the route: origin check, authentication, connect, resume
- ``realtime``   the per-replica bundle the app context starts
"""
