"""The console in a web browser: ``agent-console serve`` (textual-serve underneath)."""
