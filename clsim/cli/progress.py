"""Progress display helpers: an ETA from the whole run's pace."""

from __future__ import annotations

from datetime import timedelta

from rich.progress import ProgressColumn, Task
from rich.text import Text


def remaining_seconds(total: float, completed: float, started_at: float, elapsed: float) -> float | None:
    """Seconds left at the run's average pace since this process started at `started_at` items done; None before
    the first item. A run alternates fast learning with slow evaluations, so a recent-window speed (rich's own
    column) promises seconds for what takes minutes."""
    done = completed - started_at
    if done <= 0 or elapsed <= 0:
        return None
    return (total - completed) * elapsed / done


class RunRemainingColumn(ProgressColumn):
    """'eta H:MM:SS' from `remaining_seconds`; the task's ``start`` field is where this process began."""

    def render(self, task: Task) -> Text:
        left = None
        if task.total is not None and task.elapsed is not None:
            left = remaining_seconds(task.total, task.completed, task.fields.get("start", 0), task.elapsed)
        return Text("eta -:--:--" if left is None else f"eta {timedelta(seconds=round(left))}", style="progress.remaining")
