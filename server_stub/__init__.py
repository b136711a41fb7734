"""The stub backend of the Delivery Coordinator: PROTOCOL.md sections 2-5 over a simulated city.

    python -m server_stub --port 0 --faults     # prints the URL and a demo login

Layout, one concept per module: ``world`` (the pure simulated state, with
``behaviour`` and ``generate``), ``journal`` (seq and replay ring), ``auth``
(tokens), ``idempotency``, ``commands`` (a command run once per key, with its
cause), ``hub`` (sockets and their queues), ``ws`` (the socket protocol),
``rest`` (the /api routes), ``faults`` (the /_control/ routes), ``dialect``
(what PROTOCOL.md v2, or v1, puts on the wire), ``timers`` (deadlines on an
injectable clock), ``static`` (the app's files), ``app`` (``create_app``),
``settings``;
and the gates in front: ``hosts`` (Host allowlist), ``inbound`` (paths and
bodies), ``limits`` (logins, sockets waiting for auth), ``logout``.
"""
