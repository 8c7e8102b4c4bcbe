"""A training-compute budget in FLOPs per stream sample (``--budget``), so learners can be compared at equal
compute (Prabhu et al.'s question: are today's CL methods efficient once compute is counted?).

Every sample seen earns ``per_sample`` FLOPs; an update runs only if the FLOPs spent so far plus its estimated
cost stay within what has been earned, and is skipped otherwise. An update's cost is counted with torch's FLOP
counter (forward, backward and optimiser step) on the first update and every ``RECOUNT``-th one after, and
taken from the last count in between, so the budget costs ~1/RECOUNT of a counted run. Counts depend only on
tensor shapes, so skips are deterministic and a resumed run skips the same updates. The first update always
runs: its cost is not known before it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from torch.utils.flop_counter import FlopCounterMode

T = TypeVar("T")
RECOUNT = 16  # one update in this many is counted again (batches change size with episode lengths and replay)


def check_budget_support(learner_class: type, flops_per_sample: float) -> None:
    """A budget needs a learner whose updates run through the base Learner's stream batches."""
    if flops_per_sample and not getattr(learner_class, "supports_flop_budget", False):
        name = getattr(learner_class, "name", learner_class.__qualname__)
        raise ValueError(f"learner {name!r} schedules its own updates and takes no --budget; learners that do: "
                         "those that train on stream batches (finetune, er, der++, cama, ...), not clib, joint, knn, "
                         "ppo or bandit")


@dataclass
class FlopBudget:
    per_sample: float
    earned: float = 0.0
    spent: float = 0.0
    estimate: float | None = None  # FLOPs of the last counted update
    since_count: int = 0  # updates since the last count
    skipped: int = 0

    def earn(self) -> None:
        self.earned += self.per_sample

    def affordable(self) -> bool:
        return self.estimate is None or self.spent + self.estimate <= self.earned

    def skip(self) -> None:
        self.skipped += 1

    def spend(self, update: Callable[[], T]) -> T:
        """Run `update`, charging its counted or estimated FLOPs."""
        if self.estimate is None or self.since_count + 1 >= RECOUNT:
            with FlopCounterMode(display=False) as counter:
                result = update()
            self.estimate, self.since_count = float(counter.get_total_flops()), 0
        else:
            result = update()
            self.since_count += 1
        self.spent += self.estimate
        return result

    def state_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> FlopBudget:
        return cls(**state)
