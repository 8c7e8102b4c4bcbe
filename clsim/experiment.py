"""`clsim train`'s runs: a task-free stream feeds a learner online; an evaluator scores it at eval points.

Kept free of terminal output so the CLI, benchmarks and tests drive it alike; callers
follow progress through the `on_sample` and `on_eval` callbacks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import torch

from .agents import LMPolicyConfig
from .agents.base import Agent
from .agents.registry import agent_config
from .devices import check_placement
from .envs import get_family
from .envs.core import WorldFamily
from .eval.checkpoints import latest_samples
from .eval.evaluator import eval_points, evaluate, random_baseline, seen_segments, upcoming_segments
from .eval.logs import check_loggers
from .eval.rundir import RunDirectory
from .eval.summary import add_forward_transfer, plot_run, summarise
from .learners import LearnerConfig, get_learner, learner_settings, settings_class, settings_of
from .learners.flop_budget import check_budget_support
from .learners.registry import LEARNERS, current_name
from .run import Resume, deterministic, execute
from .streams import Blurry, Setup, Stream, get_setup
from .streams.setups import is_setup_file, read_setup_file, setup_world
from .streams.stream import content_sha256, read_jsonl


@dataclass
class RunConfig:
    """Everything that determines a run's numbers; saved as config.json."""

    world: str | None = None  # None: the setup's own world (navigation for cvln-*), else household
    setup: str = "behavior-il"
    learner: str = "cama"
    agent: str = "lm"  # or a plug-in: package.module:Class, or a name in the clsim.agents entry points
    order: int = 1
    seed: int = 0
    per_segment: int = 80  # stream samples per segment: more distinct demonstrations beat more repeats of fewer
    blurry: str | None = None  # "N-M" i-Blurry or "si-N-M" Si-Blurry (percent disjoint labels, percent minor
    # samples); None: disjoint
    stream_file: str | None = None  # a JSONL stream (clsim stream --out) to learn from instead of generating one,
    # stored as an absolute path with the sha256 of its content: a run never trains on a file that changed
    stream_sha256: str | None = None
    eval_every: int = 40  # samples between eval points (segment ends are eval points too)
    eval_episodes: int = 30  # tasks per segment and split in each eval suite: one task moves a score by 3.3 points
    max_steps: int = 60  # per evaluation episode
    checkpoint_every: int = 80  # samples between resumable checkpoints (0: none but the final weights)
    random_baseline: bool = True
    threads: int | None = None  # CPU threads of torch; None: this machine's default, recorded when the run starts.
    # The count changes the numbers (reductions split differently), so a resumed run uses the run's own.
    device: str = "cpu"  # where the agent's tensors live: cpu, cuda, cuda:N, mps
    dtype: str = "float32"  # its floating-point type: float32, float64, bfloat16, float16
    learner_config: LearnerConfig = field(default_factory=LearnerConfig)
    policy_config: LMPolicyConfig = field(default_factory=LMPolicyConfig)
    agent_options: dict[str, Any] = field(default_factory=dict)  # the agent's config fields (--agent-option)
    setup_definition: dict[str, Any] | None = None  # a setup file's content, read once: the run does not need the file

    def __post_init__(self) -> None:
        if self.setup_definition is None and is_setup_file(self.setup):
            self.setup_definition = read_setup_file(Path(self.setup))
        if self.world is None:
            self.world = setup_world(self.setup) or "household"
        self.learner_config = settings_of(self.learner, self.learner_config)
        if self.stream_file is not None and self.stream_sha256 is None:
            path = Path(self.stream_file).expanduser().resolve()
            self.stream_file = str(path)
            self.stream_sha256 = content_sha256(path) if path.is_file() else None  # validate() names a missing file

    def run_name(self) -> str:
        """``<setup>-<learner>-o<order>-s<seed>``, with a plug-in's class name and a setup file's stem."""
        setup = Path(self.setup).stem if is_setup_file(self.setup) else self.setup
        learner = self.learner.rpartition(":")[2] or self.learner
        return f"{setup}-{learner}-o{self.order}-s{self.seed}"

    def get_setup(self) -> Setup:
        return get_setup(self.setup, self.setup_definition)

    def validate(self) -> None:
        family = get_family(self.world)
        for check in (getattr(family, "check_requirements", None), getattr(get_learner(self.learner),
                                                                            "check_requirements", None)):
            if callable(check):
                check()
        agent_config(self.agent, self.policy_config, self.agent_options)  # checks the agent's name and options
        stream_kind(get_learner(self.learner), self.learner)
        self.get_setup().segments(family, self.order)
        for name in ("per_segment", "eval_every", "eval_episodes", "max_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.blurry is not None:
            if self.stream_file is not None:
                raise ValueError(f"blurry {self.blurry!r} and a stream file both decide which sample comes when; "
                                 "a stream file is learned as written: drop --blurry, or write a blurry stream with "
                                 "clsim stream --blurry")
            Blurry.parse(self.blurry)
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise ValueError(f"threads must be an integer >= 1, got {self.threads!r}")
        check_placement(self.device, self.dtype)
        check_budget_support(get_learner(self.learner), getattr(self.learner_config, "flops_per_sample", 0.0))
        if self.stream_file is not None:
            path = Path(self.stream_file)
            _, samples = read_jsonl(path, self.world, self.get_setup())
            family = get_family(self.world)
            for _, task in samples:
                try:
                    family.check_task(task)
                except ValueError as error:
                    raise ValueError(f"stream file {path}: {error}") from None
            if self.stream_sha256 is not None and content_sha256(path) != self.stream_sha256:
                raise ValueError(f"stream file {path} changed since this run started (sha256 {self.stream_sha256[:12]}… "
                                 f"then, {content_sha256(path)[:12]}… now); restore it, or train a new run on it")
        if self.checkpoint_every < 0:
            raise ValueError(f"checkpoint_every must be >= 0, got {self.checkpoint_every}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def schedule(self, family: WorldFamily) -> TaskStream:
        return TaskStream(self, family)

    def pinned(self) -> RunConfig:
        """This config with what the machine would otherwise decide written in: the thread count."""
        return replace(self, threads=self.threads or torch.get_num_threads())

    def stream_length(self) -> int:
        """Samples in the run's stream, without generating it: every segment deals `per_segment` samples
        (blurry streams move samples between periods, never add or drop one); a stream file is read."""
        if self.stream_file is not None:
            return len(self.stream())
        return self.per_segment * len(self.get_setup().segments(get_family(self.world), self.order))

    def stream(self) -> Stream:
        """The run's stream: the same samples in the same order on every machine."""
        blurry = Blurry.parse(self.blurry) if self.blurry is not None else None
        source = Path(self.stream_file) if self.stream_file is not None else None
        return Stream(get_family(self.world), self.get_setup(), self.order, self.seed, self.per_segment, blurry,
                      source)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> RunConfig:
        """The config saved in a run's config.json (keys that are not settings are ignored)."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in record.items() if k in names}
        if isinstance(values.get("agent"), dict):  # some runs stored the agent's spec here instead of its name
            values["agent"] = "lm-text" if values["agent"].get("class") == "LMPolicy" else str(values["agent"])
        values["learner"] = current_name(values.get("learner", "cama"))
        if values.get("agent") == "lm" and record.get("agent_spec", {}).get("class") == "LMPolicy":
            values["agent"] = "lm-text"  # a run whose spec is LMPolicy's: the free-text policy, now "lm-text"
        try:
            values["learner_config"] = stored_learner_settings(get_learner(values["learner"]),
                                                               record.get("learner_config", {}))
            values["policy_config"] = LMPolicyConfig(**record.get("policy_config", {}))
            return cls(**values)
        except TypeError as error:
            raise ValueError(f"not a clsim run configuration: {error}") from error


# Learner settings that earlier runs stored but no learner reads (CAMA's chance level is per step now).
RETIRED_SETTINGS = frozenset({"num_classes"})


def stored_learner_settings(learner: type, stored: dict[str, Any]) -> LearnerConfig:
    """A run's learner settings as config.json holds them. Earlier versions stored every built-in learner's
    settings in one config; those of other learners (and retired ones) are left out, anything else is refused."""
    known = {f.name for cls in (learner, *LEARNERS.values()) for f in fields(settings_class(cls))} | RETIRED_SETTINGS
    unknown = sorted(set(stored) - known)
    if unknown:
        raise TypeError(f"unknown learner setting(s) {', '.join(unknown)}")
    return learner_settings(learner, stored)


STREAM_KINDS = ("demonstrations", "reward")  # what `clsim train` streams: expert episodes, or tasks to act in


def stream_kind(learner: type, name: str) -> str:
    """What the run streams to `learner`: demonstrations (imitation) if it learns from them, else tasks that it
    acts in for the world's reward. Feedback learners have their own loop (`clsim feedback`)."""
    for kind in STREAM_KINDS:
        if kind in learner.supports:
            return kind
    raise ValueError(f"learner {name!r} learns from {', '.join(sorted(learner.supports))}, but clsim train streams "
                     f"{' or '.join(STREAM_KINDS)}" + (" (use clsim feedback)" if "feedback" in learner.supports else ""))


def run_experiment(config: RunConfig, out: Path,
                   on_sample: Callable[[int], None] | None = None,
                   on_eval: Callable[[dict[str, Any]], None] | None = None,
                   loggers: tuple[str, ...] = ()) -> dict[str, Any]:
    """Run one experiment, writing its run directory at `out`; returns the summary. `loggers`: curve writers
    besides the CSV files (``tensorboard``).

    Same config, same numbers: torch's deterministic algorithms are on for the run, since
    multi-threaded CPU gather/embedding backward passes otherwise accumulate in varying order.
    """
    config = config.pinned()
    config.validate()
    check_loggers(loggers)
    RunDirectory.check_new(out)
    return deterministic(lambda: execute(config, out, config.checkpoint_every, None, on_sample, on_eval, loggers),
                         config.threads, config.device, config.dtype)


def resume_experiment(out: Path, on_sample: Callable[[int], None] | None = None,
                      on_eval: Callable[[dict[str, Any]], None] | None = None,
                      loggers: tuple[str, ...] = ()) -> dict[str, Any]:
    """Continue the unfinished run in `out` from its latest checkpoint, to the numbers it would have had."""
    check_loggers(loggers)
    run, config, segments = _open_unfinished(out)
    return deterministic(lambda: execute(config, out, config.checkpoint_every, Resume(run, segments), on_sample,
                                         on_eval, loggers), config.threads, config.device,
                         config.dtype)


def resume_plan(out: Path) -> tuple[RunConfig, int]:
    """The unfinished run's config and the samples it has already learned (0 before its first checkpoint)."""
    run, config, _ = _open_unfinished(out)
    with run:
        return config, latest_samples(run.checkpoints)


def _open_unfinished(out: Path) -> tuple[RunDirectory, RunConfig, list[str] | None]:
    """The unfinished run in `out`, locked; its config; the segments it stored (None for runs that stored none)."""
    run, saved = RunDirectory.open(out)
    config = RunConfig.from_dict(saved).pinned()
    config.validate()
    return run, config, saved.get("segments")


class TaskStream:
    """The schedule of `clsim train`: one step per stream sample, a demonstration to imitate or a task to act
    in for the world's reward; eval points every `eval_every` samples and at each period's end."""

    def __init__(self, config: RunConfig, family: WorldFamily) -> None:
        self.config, self.family = config, family
        self.stream = config.stream()
        self.suites = self.stream.eval_suites(config.eval_episodes)
        self.segments = self.stream.segments
        self.period_ends, self.first_seen = self.stream.period_ends(), self.stream.first_seen()
        self.points = eval_points(len(self.stream), config.eval_every, self.period_ends)
        learner = get_learner(config.learner)
        self.imitation = stream_kind(learner, config.learner) == "demonstrations"
        self.labelled = getattr(learner, "uses_labels", False)  # CLIB balances its memory by label; no other sees one

    def __len__(self) -> int:
        return len(self.stream)

    def start(self, agent: Agent, learner: Any) -> None:
        self.agent, self.learner = agent, learner

    def feed(self, position: int) -> dict[str, Any]:
        item = self.stream.item(position)
        sample = item.demonstration.episode() if self.imitation else item.demonstration.task
        if self.labelled:
            self.learner.label(sample.uid if self.imitation else sample.id, item.label)
        self.learner.observe([sample])
        if position + 1 == len(self.stream):
            self.learner.flush()
        return {"segment": item.segment}

    def is_eval_point(self, done: int) -> bool:
        return done in self.points

    def record(self, done: int, fed: dict[str, Any]) -> dict[str, Any]:
        current = seen_segments(self.stream, done, self.first_seen)
        upcoming = upcoming_segments(self.stream, done, current, self.period_ends)
        scores = evaluate(self.family, self.agent, self.suites, current + upcoming, self.config.max_steps)
        return {"samples": done, "updates": getattr(self.learner, "updates", None), "segment": fed["segment"],
                "scores": {s: scores[s] for s in current}, "upcoming": {s: scores[s] for s in upcoming}}

    def summarise(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        return summarise(records, self.stream.visits(), self.points)

    def finish(self, run: RunDirectory, summary: dict[str, Any]) -> None:
        config = self.config
        if config.random_baseline:
            summary["random_baseline"], per_segment = random_baseline(self.family, self.suites, self.segments,
                                                                      config.max_steps, config.seed)
            summary["random_baseline_per_segment"] = per_segment
            add_forward_transfer(summary, run.records, per_segment)
        plot_run(run, summary)
