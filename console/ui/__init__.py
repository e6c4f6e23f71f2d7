"""UI state and helpers that are not widgets: what the header shows, the sections, text that
is safe to display, the clipboard."""
