"""What a feedback stream delivers: deployed episodes with the user's judgements, in place of demonstrations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Interaction:
    """One deployed episode: what the agent saw and did, with what probability, and the user's feedback."""

    task_id: str
    observations: list[dict[str, Any]]
    actions: list[int]
    deployed_probs: list[float]  # pi_deployed(a_t | s_t), for the IPS coefficient
    feedback: dict[int, int]  # action index -> +1 / -1, as delivered
    success: bool
    cancelled: bool
