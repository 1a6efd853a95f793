"""What every browser benchmark shares: timed steps that never crash the run, and p50/p90 lines with a
ratio to a reference measured in the same run.

A step waits on the app's own state (never a fixed time); a step that times out is reported as such and
the benchmark goes on with the rest, so a slow machine gives slow figures, not a traceback.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "tests" / "e2e", ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


class Results:
    """Named series of milliseconds, and the steps that timed out."""

    def __init__(self):
        self.series: dict[str, list[float]] = {}
        self.timeouts: dict[str, int] = {}

    def add(self, name: str, ms: float) -> None:
        self.series.setdefault(name, []).append(ms)

    def attempt(self, name: str, action, *, record: bool = True):
        """Run action() (which waits on state and may raise a timeout); record its time, or the timeout."""
        start = time.perf_counter()
        try:
            result = action()
        except Exception as exc:   # playwright's TimeoutError, a vanished element: report it, carry on
            self.timeouts[name] = self.timeouts.get(name, 0) + 1
            print(f"  ! {name}: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}", flush=True)
            return None
        if record:
            self.add(name, (time.perf_counter() - start) * 1000)
        return result

    def p(self, name: str, q: float) -> float | None:
        times = sorted(self.series.get(name, []))
        if not times:
            return None
        return times[min(len(times) - 1, round(q * (len(times) - 1)))]

    def line(self, name: str, reference: str | None = None, target: float | None = None) -> str:
        p50, p90 = self.p(name, 0.5), self.p(name, 0.9)
        count = len(self.series.get(name, []))
        missed = self.timeouts.get(name, 0)
        if p50 is None:
            return f"  {name:<48} no measurement ({missed} timed out)"
        text = f"  {name:<48} p50 {p50:6.0f} ms  p90 {p90:6.0f} ms  n={count}"
        if reference and self.p(reference, 0.5):
            text += f"  {p50 / self.p(reference, 0.5):4.2f}x the floor"
        if target is not None:
            text += f"  (target {target:g}: {'met' if p50 <= target else 'NOT met'})"
        if missed:
            text += f"  [{missed} timed out]"
        return text


def median(values) -> float:
    return statistics.median(values)


def idle_penalty(idle_s: float = 0.3, rounds: int = 15) -> tuple[float, float]:
    """The CPU time the same Python work costs run back to back, and run after `idle_s` of sleep: (hot ms,
    after-idle ms). On a machine whose memory goes cold while a process sleeps (this one, some hours after it
    started: 1.8 ms back to back, 24-56 ms after 0.3 s idle) a server's CPU per request measures how long it idled
    before it as much as its work, and figures taken with different request spacing cannot be compared."""
    table = {i: str(i) for i in range(200_000)}      # about 20 MB of objects, as a server's working set

    def work() -> float:
        start, total = time.thread_time(), 0
        for i in range(0, 200_000, 7):
            total += len(table[i])
        return 1000 * (time.thread_time() - start)

    hot = [work() for _ in range(rounds + 5)][5:]
    after_idle = []
    for _ in range(rounds):
        time.sleep(idle_s)        # the gap itself is what is measured
        after_idle.append(work())
    return statistics.median(hot), statistics.median(after_idle)
