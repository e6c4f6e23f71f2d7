"""One clipboard: OSC 52 always, the local clipboard where there is one, never the key."""

from __future__ import annotations

from console.ui.clipboard import Clipboard, Copied, copy_locally, local_clipboard_expected

KEY = "live-api-key-0123456789abcdef"


def clipboard(environ: dict[str, str] | None = None) -> tuple[Clipboard, list[str], list[str]]:
    terminal: list[str] = []
    local: list[str] = []

    def copy_local(text: str) -> bool:
        local.append(text)
        return True

    board = Clipboard(
        terminal.append, secrets=lambda: [KEY, "k"], local=copy_local, environ=environ or {}
    )
    return board, terminal, local


def test_text_goes_to_the_terminal_and_to_the_local_clipboard() -> None:
    board, terminal, local = clipboard()
    assert board.copy("umid-123") is Copied.TERMINAL
    assert board.copy_local("umid-123") is True
    assert terminal == ["umid-123"] and local == ["umid-123"]


def test_the_api_key_is_never_copied() -> None:
    board, terminal, local = clipboard()
    assert board.copy(f"Bearer {KEY}") is Copied.REFUSED
    assert board.copy_local(KEY) is False
    assert terminal == [] and local == []
    assert board.copy("keep it kind") is Copied.TERMINAL, "short 'secrets' refuse nothing"


def test_nothing_to_copy() -> None:
    board, terminal, _ = clipboard()
    assert board.copy("") is Copied.NOTHING and terminal == []


def test_over_ssh_only_the_terminal_gets_it() -> None:
    board, terminal, local = clipboard({"SSH_CONNECTION": "10.0.0.1 5 10.0.0.2 22"})
    assert board.copy("umid-1") is Copied.TERMINAL
    assert board.copy_local("umid-1") is False
    assert terminal == ["umid-1"] and local == []


def test_when_a_local_clipboard_is_expected() -> None:
    assert local_clipboard_expected({})
    assert not local_clipboard_expected({"SSH_TTY": "/dev/pts/3"})
    assert local_clipboard_expected({"SSH_TTY": "/dev/pts/3", "TERM_PROGRAM": "Apple_Terminal"})


def test_a_missing_local_clipboard_is_never_an_error(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pyperclip

    def broken(text: str) -> None:
        raise pyperclip.PyperclipException("no xclip here")

    monkeypatch.setattr(pyperclip, "copy", broken)
    assert copy_locally("umid-1") is False
