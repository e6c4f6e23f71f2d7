"""The delivery feed's model, UI-free: one row per message (keyed by umid) whose status only
moves forward, counters per status, receipts per second, filters, the newest-N bound, the
"no final receipt" rule and CSV export. No Textual: the feed screen renders it.

- ``rows.FeedStore`` — rows from the core's ``Changes`` and from the history; ``row.FeedRow``
  one message; ``packed.Chunk`` the older rows packed (~120 bytes a row, not an object each);
  ``sequences`` the rows in order, by umid, or picked by a filter, read out when asked for.
- ``view.FeedView`` — the rows one filter lets through, kept up to date incrementally.
- ``query`` — the filter and the text the agent types for it.
- ``rate.ReceiptRate`` — receipts per second over the last minutes.
- ``columns`` — how a row reads: cells, masking, the layout for a width.
- ``export`` — CSV rows of a view (numbers masked unless asked; never the API key).
"""
