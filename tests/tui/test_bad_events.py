"""A malformed webhook never takes a console down; the next event is handled as usual."""

from __future__ import annotations

from pathlib import Path

import httpx
from tui_helpers import WEBHOOK_SECRET, console_for, wait_for


async def test_malformed_inbound_webhook_is_skipped(sandbox_url: str, tmp_path: Path) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.connection.events.state == "live" and app.history)
        headers = {"Authorization": WEBHOOK_SECRET}
        async with httpx.AsyncClient(headers=headers) as http:
            for body in (
                # no timestamp, odd content: 8x8 never sends it, a proxy might mangle it
                {
                    "namespace": "ChatApps",
                    "eventType": "inbound_message_received",
                    "description": "x",
                    "payload": {
                        "umid": "bad-1",
                        "user": {"msisdn": "+6591234567"},
                        "timestamp": "yesterday",
                    },
                },
                {
                    "namespace": "SMS",
                    "eventType": "outbound_message_status_changed",
                    "description": "x",
                    "payload": {
                        "umid": "bad-2",
                        "status": {"state": "delivered", "timestamp": "soon"},
                    },
                },
                {
                    "namespace": "ChatApps",
                    "eventType": "inbound_message_received",
                    "description": "x",
                    "payload": {
                        "umid": "good-1",
                        "timestamp": "2026-11-27T05:00:00.00Z",
                        "user": {"msisdn": "+6591234567", "name": "Jane"},
                        "recipient": {"channel": "whatsapp", "channelId": "wa"},
                        "type": "text",
                        "content": {"text": "still there?"},
                    },
                },
            ):
                route = "sms" if body["namespace"] == "SMS" else "chatapps"  # 8x8's routes
                answer = await http.post(f"{sandbox_url}/webhooks/{route}", json=body)
                assert answer.status_code == 200, answer.text
        await wait_for(
            pilot, lambda: app.history is not None and app.history.message_by_umid("good-1")
        )
        assert app.is_running
        assert app.connection.state == "connected"
