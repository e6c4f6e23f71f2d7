"""Live events: the webhook relay, its replay log, and the websocket stream a console reads.

- ``events``: the event envelope, wire frames and the message-status state machine (pure).
- ``log``: the replay log interface (``EventLog``) and its file and memory implementations.
- ``redis_log``: ``RedisEventLog``, the log on Redis Streams that several relays share.
- ``relay``: the Starlette routes (webhooks in, websocket ``/events`` out).
- ``agents``: the agents file: each agent's own token, kept only as a salted hash.
- ``stream``: ``EventStream``, the reconnecting client.
- ``command``: the ``agent-console relay`` subcommand.

Nothing here imports Textual; importing this package imports nothing else.
"""
