"""One browser tab's console: ``python -m console.serve.tab [console options…]``.

The same console as ``agent-console``, plus one guarantee: it ends when the server that
started it is gone, even if that server was killed outright (SIGKILL, a crash, the OOM
killer) and could not end it. The server starts it as the leader of its own process
group; the group (the console and its embedded sandbox) gets SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

PARENT_VARIABLE = "AGENT_CONSOLE_SERVE_PID"  # set by the server: its own pid
POLL_SECONDS = 0.5
TERM_GRACE = 5.0


def end_group_when_orphaned(parent: int, poll: float = POLL_SECONDS) -> threading.Thread:
    """Watch, in a daemon thread, for the parent to go (this process is re-parented)."""

    def end(signum: int) -> None:
        if os.getpgid(0) == os.getpid():  # our own group: the console and its sandbox
            os.killpg(0, signum)
        else:  # started by hand inside someone else's group: only this process
            os.kill(os.getpid(), signum)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll)
        end(signal.SIGTERM)  # the console quits as on ctrl+q and stops its sandbox
        time.sleep(TERM_GRACE)
        end(signal.SIGKILL)

    thread = threading.Thread(target=watch, name="end-when-orphaned", daemon=True)
    thread.start()
    return thread


def main() -> None:
    parent = os.environ.pop(PARENT_VARIABLE, "")
    # The server's pid, not getppid(): the server may have died before this line ran.
    end_group_when_orphaned(int(parent) if parent.isdigit() else os.getppid())
    from console.cli import main as console_main

    console_main(sys.argv[1:])


if __name__ == "__main__":
    main()
