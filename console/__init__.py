"""agent-console: a Textual terminal console for support agents on 8x8 CPaaS."""

__version__ = "0.1.0"
