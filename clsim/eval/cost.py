"""What a run cost: its learner's updates and memory, and the process's peak resident memory."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


def reset_peak_rss() -> None:
    """Start a new peak-memory measurement (Linux: clear VmHWM), so a run that shares its process with
    earlier runs (a benchmark sweep, a reused Ray worker) reports its own peak, not theirs."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:  # not Linux, or not permitted: the process-lifetime peak is reported
        pass


def peak_rss_mb() -> float | None:
    """The process's peak resident memory in MiB since `reset_peak_rss` (Linux), else over its lifetime
    (None where the OS does not report it)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)  # kB
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / 2**20 if sys.platform == "darwin" else peak / 1024, 1)  # bytes on macOS, KiB elsewhere


def learner_cost(learner: Any) -> dict[str, Any]:
    """Updates and memory of a learner, and its FLOP budget when it had one (--budget); None for what a plug-in
    that is no `Learner` does not expose."""
    memory, buffer_bytes = getattr(learner, "memory", None), getattr(learner, "buffer_bytes", None)
    cost = {"updates": getattr(learner, "updates", None),
            "memory_episodes": len(memory) if memory is not None else None,
            "memory_bytes": buffer_bytes() if callable(buffer_bytes) else None}
    budget = getattr(learner, "flop_budget", None)
    if budget is not None:
        cost |= {"budget_flops_per_sample": budget.per_sample, "budget_spent_flops": budget.spent,
                 "updates_skipped": budget.skipped}
    return cost
