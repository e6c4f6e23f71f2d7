"""Start-up benchmarks: prints figures only (the DESIGN.md budget is never asserted).

    python bench/startup.py            # 5 runs of everything
    python bench/startup.py --runs 9 --only paint --json

Budget (DESIGN.md): the real default start (no key: the embedded sandbox, then Home) paints
its first frame within 1.3x a bare Textual app's (the median of the ratios of paired runs);
`--help` and `--version` import no Textual. Figures, each the median and min over the runs, in ms:

0. The budget's figure, from outside: `agent-console` exactly as a new user starts it (no key,
   no config file: it spawns the embedded sandbox beside its UI, then shows Home) and a bare
   Textual app (Header, Static, Footer), each in a real pseudo-terminal, paired runs in
   alternating order. First paint = the first visible character on the terminal (what comes
   before it is terminal set-up); connected = Home saying "● connected" (the console spawns
   its sandbox before its UI only when the load average leaves a core idle, else after the
   first frame: on a busy machine it would only slow that frame). The ratio is the
   median of the pairs' ratios. Runs use .pyc files as an installed console does (pip
   compiles them); `--no-bytecode-cache` keeps PYTHONDONTWRITEBYTECODE if it is set.
1. `python -m console --version` / `--help` wall time as subprocesses (next to `python -c pass`,
   the interpreter's own floor), and which heavy packages each one imports (`-X importtime`).
2. Time to first frame, each app in a fresh headless subprocess: a bare Textual app (Header,
   Static, Footer) and the real `AgentConsole` as `agent-console` starts with no key and no
   server: it starts the embedded sandbox (a child process) and logs into it; "connected"
   is when the login has finished (the console is usable), shown beside the first frame.
   "First frame" is Textual's `events.Ready`, posted once the first screen has been laid out
   and drawn; the clock starts just before the parent spawns the process, so interpreter
   start-up and imports count. Also the in-process split (imports, build, run to mount,
   run to ready), and, as a diagnostic, the console with a connector that never starts
   (what the login worker costs the first frame).
3. `-X importtime` of `console.app` alone: its heaviest direct imports and the packages that
   take the most import time, to show what to defer if the budget is missed.
4. Quit (budget: the shell prompt back within 0.3 s of ctrl+q): each app runs in a real
   pseudo-terminal as a user would start it; once it shows its first screen (the console:
   logged in to the embedded sandbox with live events) and has been idle for a second, the
   parent types ctrl+q and measures until the terminal is restored (the alternate screen is
   left) and until the process has exited, which is when a shell prints its prompt. The
   console also runs on a history with many messages, whose last flush happens on quit.

Both apps run in the same way (a tiny subclass adds `on_mount`/`on_ready` timers); one
warm-up run of each command is not counted (it writes .pyc files).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import select
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

BUDGET_RATIO = 1.3
HEAVY = ("textual", "rich", "uvicorn", "starlette", "httpx", "websockets", "phonenumbers")
ROOT = Path(__file__).resolve().parent.parent

# Runs in a fresh interpreter; prints one JSON line of CLOCK_MONOTONIC stamps (the same clock
# in every process on Linux, so the parent can subtract its spawn time).
DRIVER = r"""
import time
_t_start = time.monotonic()
import json, sys
kind = sys.argv[1]
kwargs = {}
runner = None
if kind == "bare":
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Header, Static

    class Base(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield Static("Hello from a bare Textual app")
            yield Footer()

    args = ()
else:
    import asyncio
    from pathlib import Path
    from console.config import Settings

    settings = Settings(data_dir=Path(sys.argv[2]))  # no key, no server: the embedded sandbox
    runner = asyncio.Runner()
    from console.cli import a_core_to_spare

    # as `agent-console` does: the sandbox spawned before the UI when a core is idle
    if kind == "console" and a_core_to_spare():
        from console.connecting import EarlySandbox

        kwargs = {"connector": runner.run(EarlySandbox.spawn(settings)).connect}
    from console.app import AgentConsole as Base

    args = (settings,)
    if kind == "console-no-login":
        import asyncio

        async def never_connect(settings):
            await asyncio.Event().wait()

        kwargs = {"connector": never_connect}
_t_imported = time.monotonic()
stamps = {}

class Timed(Base):
    def on_mount(self) -> None:
        stamps.setdefault("mount", time.monotonic())
        self.call_after_refresh(self._stamp, "after_refresh")

    def on_ready(self) -> None:
        self._stamp("ready")

    def _stamp(self, key) -> None:
        stamps.setdefault(key, time.monotonic())
        if "ready" in stamps and "after_refresh" in stamps:
            if kind == "console":  # usable: logged in to the embedded sandbox
                self.set_interval(0.005, self._connected)
            else:
                self.exit()

    def _connected(self) -> None:
        if self.connection.connected:
            stamps.setdefault("connected", time.monotonic())
            self.exit()
        elif time.monotonic() - _t_start > 60:
            self.exit()

app = Timed(*args, **kwargs)
_t_built = time.monotonic()
app.run(headless=True, size=(120, 40), loop=runner.get_loop() if kind != "bare" else None)
stamps.update(start=_t_start, imported=_t_imported, built=_t_built, exited=time.monotonic())
print(json.dumps(stamps))
"""

IMPORT_LINE = "import time:"


@dataclass
class Stat:
    median: float
    min: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Stat:
        return cls(statistics.median(values), min(values))

    def __str__(self) -> str:
        return f"median {self.median:7.1f}   min {self.min:7.1f}"


def child_env(*, keep_no_bytecode: bool = False) -> dict[str, str]:
    """The current environment without Textual dev/driver switches that would skew timings,
    and (unless asked) without PYTHONDONTWRITEBYTECODE: an installed console runs from .pyc
    files (pip compiles them), while Textual's own always do; with the switch set, every run
    compiled ~50 console modules from source and the ratio measured the compiler."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXTUAL")}
    if not keep_no_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def run(argv: Sequence[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    """Run a command; returns (spawn time on the monotonic clock, result)."""
    start = time.monotonic()
    result = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stderr}")
    return start, result


def wall_ms(argv: Sequence[str], env: dict[str, str], runs: int) -> Stat:
    run(argv, env)  # warm-up
    times = []
    for _ in range(runs):
        start, _result = run(argv, env)
        times.append((time.monotonic() - start) * 1000)
    return Stat.of(times)


@dataclass
class ImportRecord:
    name: str
    depth: int
    self_us: int
    cumulative_us: int


def parse_importtime(stderr: str) -> list[ImportRecord]:
    """`-X importtime` lines, in the order Python prints them (children before parent)."""
    records = []
    for line in stderr.splitlines():
        if not line.startswith(IMPORT_LINE) or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line[len(IMPORT_LINE) :].split("|", 2)
        stripped = name.lstrip()
        depth = (len(name) - len(stripped) - 1) // 2
        records.append(ImportRecord(stripped, depth, int(self_us), int(cumulative_us)))
    return records


def heavy_imports(records: list[ImportRecord]) -> list[str]:
    top = {r.name.split(".")[0] for r in records}
    return [name for name in HEAVY if name in top]


def console_app_subtree(records: list[ImportRecord]) -> list[ImportRecord]:
    """The records imported under `console.app`, ending with console.app itself.

    Python prints a module's whole subtree (depth > 0) just before the module's own line.
    """
    end = next(i for i, r in enumerate(records) if r.name == "console.app" and r.depth == 0)
    start = end
    while start > 0 and records[start - 1].depth > 0:
        start -= 1
    return records[start : end + 1]


def section(title: str) -> None:
    print()
    print(title)
    print("-" * len(title))


def bench_cli(runs: int, env: dict[str, str]) -> None:
    section("1. Command line (subprocess wall time, ms)")
    py = sys.executable
    print(f"  {'python -c pass':<32} {wall_ms([py, '-c', 'pass'], env, runs)}")
    for flag in ("--version", "--help"):
        argv = [py, "-m", "console", flag]
        stat = wall_ms(argv, env, runs)
        _, result = run([py, "-X", "importtime", "-m", "console", flag], env)
        heavy = heavy_imports(parse_importtime(result.stderr))
        textual = "imports Textual!" if "textual" in heavy else "no Textual"
        print(f"  {'agent-console ' + flag:<32} {stat}   {textual}; heavy: {heavy or 'none'}")


def first_frame(kind: str, env: dict[str, str], data_dir: str) -> dict[str, float]:
    """One headless run; stamps in ms since the parent spawned the process."""
    start, result = run([sys.executable, "-c", DRIVER, kind, data_dir], env)
    end = time.monotonic()
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"{kind}: no timings printed\n{result.stdout}\n{result.stderr}")
    stamps = json.loads(lines[-1])
    if "ready" not in stamps:
        raise SystemExit(f"{kind}: the app never became ready: {stamps}")
    figures = {key: (value - start) * 1000 for key, value in stamps.items()}
    figures["process_end"] = (end - start) * 1000
    return figures


KINDS = {
    "bare": "bare Textual app",
    "console": "agent-console (default start)",
    "console-no-login": "console, login idle",
}


def bench_first_frame(runs: int, env: dict[str, str]) -> dict[str, object]:
    section("2. Time to first frame (headless, 120x40; ms from spawn)")
    samples: dict[str, list[dict[str, float]]] = {kind: [] for kind in KINDS}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as data_dir:
        for kind in KINDS:
            first_frame(kind, env, data_dir)  # warm-up
        for _ in range(runs):  # interleaved, so a busy moment hurts every app alike
            for kind in KINDS:
                samples[kind].append(first_frame(kind, env, data_dir))

    phases: list[tuple[str, Callable[[dict[str, float]], float]]] = [
        ("interpreter up (script starts)", lambda r: r["start"]),
        ("imports done", lambda r: r["imported"]),
        ("app built", lambda r: r["built"]),
        ("App.on_mount", lambda r: r["mount"]),
        ("first frame (events.Ready)", lambda r: r["ready"]),
        ("first call_after_refresh", lambda r: r["after_refresh"]),
        ("connected (logged in)", lambda r: r.get("connected", float("nan"))),
        ("process exited", lambda r: r["process_end"]),
        ("  in-process: imports", lambda r: r["imported"] - r["start"]),
        ("  in-process: built -> mount", lambda r: r["mount"] - r["built"]),
        ("  in-process: mount -> frame", lambda r: r["ready"] - r["mount"]),
    ]
    print(f"  {'':<32}" + "".join(f" {title:<30}" for title in KINDS.values()))
    for label, pick in phases:
        cells = (Stat.of([pick(r) for r in samples[kind]]) for kind in KINDS)
        print(f"  {label:<32}" + "".join(f" {cell!s:<30}" for cell in cells))
    print("  ('console, login idle' = the same app with a connector that never starts: a")
    print("   diagnostic showing what the login worker costs the first frame.)")
    figures: dict[str, object] = {
        f"{kind}_{key}_ms": round(statistics.median(r[key] for r in samples[kind]), 1)
        for kind in KINDS
        for key in ("imported", "mount", "ready")
    }
    figures["console_connected_ms"] = round(
        statistics.median(r.get("connected", float("nan")) for r in samples["console"]), 1
    )
    for kind in ("console", "console-no-login"):
        pairs = zip(samples["bare"], samples[kind], strict=True)
        ratios = [real["ready"] / bare["ready"] for bare, real in pairs]
        ratio = statistics.median(ratios)
        figures[f"{kind}_ready_ratio"] = round(ratio, 3)
        verdict = "within" if ratio <= BUDGET_RATIO else "OVER"
        print(
            f"  first frame {KINDS[kind]} / bare, median of {len(ratios)} paired runs: "
            f"{ratio:.2f}x ({verdict} the {BUDGET_RATIO}x budget; pairs "
            f"{min(ratios):.2f}–{max(ratios):.2f}x)"
        )
    return figures


BARE_IMPORTS = "from textual.app import App; from textual.widgets import Footer, Header, Static"


def bench_import(runs: int, env: dict[str, str], top: int = 10) -> None:
    section(f"3. `import console.app` under -X importtime (median of {runs} runs, ms)")
    argv = [sys.executable, "-X", "importtime", "-c", "import console.app"]
    _, bare_result = run([sys.executable, "-X", "importtime", "-c", BARE_IMPORTS], env)
    bare_modules = {record.name for record in parse_importtime(bare_result.stderr)}
    run(argv, env)  # warm-up
    totals: list[float] = []
    extra_totals: list[float] = []
    direct: dict[str, list[float]] = defaultdict(list)
    direct_extra: dict[str, list[float]] = defaultdict(list)
    packages: dict[str, list[float]] = defaultdict(list)
    cumulative: dict[str, list[float]] = defaultdict(list)
    for _ in range(runs):
        _, result = run(argv, env)
        subtree = console_app_subtree(parse_importtime(result.stderr))
        totals.append(subtree[-1].cumulative_us / 1000)
        per_package: dict[str, float] = defaultdict(float)
        extra = 0.0  # self time of modules a bare app does not import, since the last child
        extra_total = 0.0
        for record in subtree[:-1]:
            per_package[record.name.split(".")[0]] += record.self_us / 1000
            cumulative[record.name].append(record.cumulative_us / 1000)
            if record.name not in bare_modules:
                extra += record.self_us / 1000
            if record.depth == 1:  # a direct import: its subtree ends here
                direct[record.name].append(record.cumulative_us / 1000)
                direct_extra[record.name].append(extra)
                extra_total += extra
                extra = 0.0
        extra_totals.append(extra_total + subtree[-1].self_us / 1000)
        for name, value in per_package.items():
            packages[name].append(value)
    print(f"  console.app, cumulative:             {Stat.of(totals)}")
    print(f"  of which modules a bare app skips:   {Stat.of(extra_totals)}")

    def median_of(table: dict[str, list[float]]) -> dict[str, float]:
        return {name: statistics.median(values) for name, values in table.items()}

    def ranked(table: dict[str, list[float]]) -> list[tuple[str, float]]:
        return sorted(median_of(table).items(), key=lambda item: item[1], reverse=True)[:top]

    extras = median_of(direct_extra)
    print(f"  top {top} direct imports of console.app by import time beyond a bare app's")
    print("    (beyond = self time of modules in its subtree that the bare app never imports;")
    print("     a module shared by two subtrees is counted under the first that imports it):")
    print(f"    {'beyond':>7}  {'cumul.':>7}  module")
    for name, value in sorted(extras.items(), key=lambda item: item[1], reverse=True)[:top]:
        print(f"    {value:7.1f}  {statistics.median(direct[name]):7.1f}  {name}")
    print(f"  top {top} top-level packages (sum of self time of all their modules):")
    for name, value in ranked(packages):
        print(f"    {value:7.1f}  {name}")
    print(f"  top {top} modules by cumulative time (nested: a parent includes its children):")
    for name, value in ranked(cumulative):
        print(f"    {value:7.1f}  {name}")


QUIT_BUDGET_MS = 300.0
CTRL_Q = b"\x11"
LEAVE_ALT_SCREEN = b"\x1b[?1049l"
ANSI = re.compile(  # CSI, OSC, charset and keypad sequences: what is left is the text shown
    rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]"
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
    rb"|\x1b[()][0-9A-Za-z]|\x1b[=>78]"
)
BARE_APP = """
from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static

class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Hello from a bare Textual app")
        yield Footer()

Bare().run()
"""
SEED_HISTORY = """
import sys, time
from pathlib import Path
from console.store import History
with History.open(Path(sys.argv[1])) as history:
    now = time.time() - 3600
    for n in range(int(sys.argv[2])):
        umid = f"seed-{n:06d}"
        history.record_message(umid, f"cid-{n}", "sms", "out", "+6591234567",
                               "Your parcel is on its way", "queued", now + n / 1000)
        history.apply_receipt(umid, "delivered", now + n / 1000 + 1, now + n / 1000 + 1)
"""


def quit_once(argv: Sequence[str], ready: bytes, env: dict[str, str]) -> tuple[float, float]:
    """(terminal restored, process exited) in ms after ctrl+q, for one run in a pty."""
    import fcntl
    import pty
    import struct
    import termios

    pid, fd = pty.fork()
    if pid == 0:  # the child: become the app
        os.chdir(ROOT)
        os.execvpe(argv[0], list(argv), env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))

    def read(timeout: float) -> bytes | None:
        """Output available within `timeout` (b"" if none yet), None once the pty closed."""
        if not select.select([fd], [], [], timeout)[0]:
            return b""
        try:
            return os.read(fd, 65536) or None
        except OSError:
            return None

    try:
        screen = b""
        deadline = time.monotonic() + 90
        while ready not in ANSI.sub(b"", screen[-100_000:]):
            data = read(0.1)
            if data is None or time.monotonic() > deadline:
                tail = ANSI.sub(b"", screen)[-1500:].decode(errors="replace")
                raise SystemExit(f"{argv[-1][:40]}: never showed {ready!r}:\n{tail}")
            screen += data
        settle = time.monotonic() + 1.0  # idle for a second, reading what it draws
        while time.monotonic() < settle:
            if read(0.05) is None:
                raise SystemExit("the app exited before ctrl+q")
        pressed = time.monotonic()
        os.write(fd, CTRL_Q)
        restored = None
        tail = b""
        while True:
            data = read(0.005)
            if data is None:
                break
            tail = (tail + data)[-64:]
            if restored is None and LEAVE_ALT_SCREEN in tail:
                restored = time.monotonic()
            if os.waitpid(pid, os.WNOHANG)[0]:
                pid = 0
                break
        if pid:
            os.waitpid(pid, 0)
            pid = 0
        exited = time.monotonic()
        return ((restored or exited) - pressed) * 1000, (exited - pressed) * 1000
    finally:
        if pid:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)


CONNECTED = "● connected".encode()  # Home's status line once logged in


def no_config_env(env: dict[str, str], folder: str) -> dict[str, str]:
    """The console as a new user starts it: no key in the environment, no config file."""
    console_env = {k: v for k, v in env.items() if not k.startswith("CPAAS_")}
    console_env["AGENT_CONSOLE_CONFIG"] = str(Path(folder) / "no-config.toml")
    return console_env


def paint_once(
    argv: Sequence[str], env: dict[str, str], wait_for: bytes | None
) -> dict[str, float]:
    """One start in a real pseudo-terminal (120x40), timed from outside, in ms from the spawn:
    `first_paint` when the first visible character arrives (every byte before it is the
    terminal set-up: alternate screen, modes), and `connected` when `wait_for` shows."""
    import fcntl
    import pty
    import struct
    import termios

    start = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the app
        os.chdir(ROOT)
        os.execvpe(argv[0], list(argv), env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    figures: dict[str, float] = {}
    screen = b""
    try:
        deadline = start + 60
        while time.monotonic() < deadline:
            if not select.select([fd], [], [], 0.05)[0]:
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            now = (time.monotonic() - start) * 1000
            screen = (screen + data)[-200_000:]
            text = ANSI.sub(b"", screen)
            if "first_paint" not in figures and text.strip():
                figures["first_paint"] = now
            if wait_for is None and "first_paint" in figures:
                break
            if wait_for is not None and wait_for in text:
                figures["connected"] = now
                break
        if "first_paint" not in figures:
            raise SystemExit(f"{argv[-1][:40]}: drew nothing within a minute")
        os.write(fd, CTRL_Q)
        quit_by = time.monotonic() + 10
        while time.monotonic() < quit_by:  # read what it writes while it quits
            if select.select([fd], [], [], 0.05)[0]:
                try:
                    if not os.read(fd, 65536):
                        break
                except OSError:
                    break
            if os.waitpid(pid, os.WNOHANG)[0]:
                pid = 0
                break
        return figures
    finally:
        if pid:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)


def bench_terminal(runs: int, env: dict[str, str]) -> dict[str, object]:
    """The budget's own figure: `agent-console` (no key, no config: the embedded sandbox,
    then Home) and a bare Textual app, each started in a pty as a user would, alternating."""
    section("0. The real default start in a terminal (pty, 120x40; ms from spawn)")
    bare_argv = [sys.executable, "-c", BARE_APP]
    pairs: list[tuple[dict[str, float], dict[str, float]]] = []
    with tempfile.TemporaryDirectory(prefix="bench-paint-") as folder:
        console_env = no_config_env(env, folder)

        def console_argv(n: int) -> list[str]:
            return [sys.executable, "-m", "console", "--data-dir", str(Path(folder) / f"d{n}")]

        paint_once(bare_argv, env, None)  # warm-up (writes .pyc files when allowed)
        paint_once(console_argv(0), console_env, CONNECTED)
        for n in range(runs):  # paired and alternating: a busy moment hurts both alike
            first_bare = n % 2 == 0
            if first_bare:
                bare = paint_once(bare_argv, env, None)
            real = paint_once(console_argv(n + 1), console_env, CONNECTED)
            if not first_bare:
                bare = paint_once(bare_argv, env, None)
            pairs.append((bare, real))
    ratios = [real["first_paint"] / bare["first_paint"] for bare, real in pairs]
    connected = [real.get("connected", float("nan")) for _, real in pairs]
    after_paint = [
        real["connected"] - real["first_paint"] for _, real in pairs if "connected" in real
    ]
    bare_paint = Stat.of([bare["first_paint"] for bare, _ in pairs])
    real_paint = Stat.of([real["first_paint"] for _, real in pairs])
    print(f"  {'bare Textual app: first paint':<44} {bare_paint}")
    print(f"  {'agent-console: first paint':<44} {real_paint}")
    if after_paint:
        print(f"  {'agent-console: connected (Home says so)':<44} {Stat.of(connected)}")
        print(f"  {'  of which after its first paint':<44} {Stat.of(after_paint)}")
    ratio = statistics.median(ratios)
    verdict = "within" if ratio <= BUDGET_RATIO else "OVER"
    print(
        f"  first paint, agent-console / bare, median of {len(ratios)} paired runs: "
        f"{ratio:.2f}x ({verdict} the {BUDGET_RATIO}x budget; pairs "
        f"{min(ratios):.2f}–{max(ratios):.2f}x)"
    )
    return {
        "first_paint_ratio": round(ratio, 3),
        "first_paint_ratio_pairs": [round(r, 3) for r in ratios],
        "bare_first_paint_ms": round(bare_paint.median, 1),
        "console_first_paint_ms": round(real_paint.median, 1),
        "console_connected_ms": round(statistics.median(connected), 1),
        "connected_after_first_paint_ms": (
            round(statistics.median(after_paint), 1) if after_paint else None
        ),
        "within_budget": ratio <= BUDGET_RATIO,
    }


def bench_quit(runs: int, env: dict[str, str], history_size: int = 20_000) -> None:
    section("4. Quit: ctrl+q to the shell prompt (in a pty, 120x40; ms)")
    console_env = {k: v for k, v in env.items() if not k.startswith("CPAAS_")}
    with tempfile.TemporaryDirectory(prefix="bench-quit-") as folder:
        console_env["AGENT_CONSOLE_CONFIG"] = str(Path(folder) / "no-config.toml")
        big = Path(folder) / "big"
        run([sys.executable, "-c", SEED_HISTORY, str(big), str(history_size)], console_env)
        kinds = {
            "bare Textual app": ([sys.executable, "-c", BARE_APP], b"Hello from a bare", env),
            "agent-console (embedded sandbox)": (
                [sys.executable, "-m", "console", "--data-dir", str(Path(folder) / "fresh")],
                b"events live",
                console_env,
            ),
            f"agent-console, {history_size:,}-message history": (
                [sys.executable, "-m", "console", "--data-dir", str(big)],
                b"events live",
                console_env,
            ),
        }
        samples: dict[str, list[tuple[float, float]]] = {kind: [] for kind in kinds}
        for argv, ready, kind_env in kinds.values():
            quit_once(argv, ready, kind_env)  # warm-up
        for _ in range(runs):  # interleaved, so a busy moment hurts every app alike
            for kind, (argv, ready, kind_env) in kinds.items():
                samples[kind].append(quit_once(argv, ready, kind_env))
    print(f"  {'':<40} {'terminal restored':<30} {'prompt back (process exited)':<30}")
    for kind, values in samples.items():
        restored = Stat.of([r for r, _ in values])
        exited = Stat.of([e for _, e in values])
        print(f"  {kind:<40} {restored!s:<30} {exited!s:<30}")
    bare = Stat.of([e for _, e in samples["bare Textual app"]])
    for kind in list(kinds)[1:]:
        real = Stat.of([e for _, e in samples[kind]])
        verdict = "within" if real.median <= QUIT_BUDGET_MS else "OVER"
        print(
            f"  prompt back, {kind} / bare (median): {real.median / bare.median:.2f}x; "
            f"{real.median:.0f} ms ({verdict} the {QUIT_BUDGET_MS:.0f} ms budget)"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (default 5)")
    parser.add_argument(
        "--only",
        choices=("paint", "cli", "frame", "import", "quit"),
        action="append",
        help="run only these sections (repeatable; default: all)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the figures as one JSON object (text to stderr)"
    )
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE if set (every run then compiles the console from "
        "source, which an installed console never does: pip writes the .pyc files)",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    env = child_env(keep_no_bytecode=args.no_bytecode_cache)
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    only = set(args.only or ("paint", "cli", "frame", "import", "quit"))
    results: dict[str, object] = {
        "python": sys.version.split()[0],
        "runs": args.runs,
        "cpus": os.cpu_count(),
        "load_before": [round(x, 2) for x in load],
        "bytecode_cache": "PYTHONDONTWRITEBYTECODE" not in env,
        "budget_ratio": BUDGET_RATIO,
    }
    out = sys.stderr if args.json else sys.stdout
    with contextlib.redirect_stdout(out):
        print(
            f"Python {results['python']}; {args.runs} runs (+1 warm-up) per figure; "
            f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
            f"bytecode cache {'on' if results['bytecode_cache'] else 'OFF'}"
        )
        if "paint" in only:
            results["terminal"] = bench_terminal(args.runs, env)
        if "cli" in only:
            bench_cli(args.runs, env)
        if "frame" in only:
            results["headless"] = bench_first_frame(args.runs, env)
        if "import" in only:
            bench_import(args.runs, env)
        if "quit" in only:
            bench_quit(args.runs, env)
        load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
        results["load_after"] = [round(x, 2) for x in load]
        print(f"\nload average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
