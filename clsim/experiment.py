"""One experiment: a stream feeds a learner online; an evaluator scores it task-free.

Kept free of terminal output so the CLI, benchmarks and tests drive it alike; callers
follow progress through the `on_sample` and `on_eval` callbacks.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .agents import LMPolicyConfig, make_agent
from .agents.base import Agent
from .agents.registry import agent_config, agent_spec, load_weights
from .envs import get_family
from .eval.checkpoints import Checkpoint, latest_samples, load_latest, restore_rng, rng_state, save_checkpoint
from .eval.evaluator import eval_points, evaluate, random_baseline, seen_segments, upcoming_segments
from .eval.rundir import RunDirectory
from .eval.summary import add_forward_transfer, plot_run, summarise
from .learners import Learner, LearnerConfig, get_learner, learner_settings, settings_class, settings_of
from .learners.base import trainable
from .learners.registry import LEARNERS, current_name
from .plugins import construct
from .provenance import provenance
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
        get_family(self.world)
        agent_config(self.agent, self.policy_config, self.agent_options)  # checks the agent's name and options
        learner = get_learner(self.learner)
        stream_kind(learner, self.learner)
        check = getattr(learner, "check_requirements", None)
        if callable(check):
            check()
        self.get_setup().segments(get_family(self.world), self.order)
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


def learner_cost(learner: Any) -> dict[str, int | None]:
    """Updates and memory of a learner; None for what a plug-in that is no `Learner` does not expose."""
    memory, buffer_bytes = getattr(learner, "memory", None), getattr(learner, "buffer_bytes", None)
    return {"updates": getattr(learner, "updates", None),
            "memory_episodes": len(memory) if memory is not None else None,
            "memory_bytes": buffer_bytes() if callable(buffer_bytes) else None}


def run_experiment(config: RunConfig, out: Path,
                   on_sample: Callable[[int], None] | None = None,
                   on_eval: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Run one experiment, writing its run directory at `out`; returns the summary.

    Same config, same numbers: torch's deterministic algorithms are on for the run, since
    multi-threaded CPU gather/embedding backward passes otherwise accumulate in varying order.
    """
    config = config.pinned()
    config.validate()
    RunDirectory.check_new(out)
    return deterministic(lambda: _run(config, out, None, on_sample, on_eval), config.threads)


def resume_experiment(out: Path, on_sample: Callable[[int], None] | None = None,
                      on_eval: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Continue the unfinished run in `out` from its latest checkpoint, to the numbers it would have had."""
    run, config, segments = _open_unfinished(out)
    return deterministic(lambda: _run(config, out, run, on_sample, on_eval, segments), config.threads)


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


def _check_segments(out: Path, stored: list[str] | None, rebuilt: Sequence[str]) -> None:
    """Refuse to resume a run whose config no longer rebuilds the segments it learned, in their order."""
    if stored is not None and list(stored) != list(rebuilt):
        raise ValueError(f"{out} learned its segments in the order {', '.join(map(str, stored))}, but its config "
                         f"now gives {', '.join(rebuilt)}, so it cannot be resumed to the same numbers; start it "
                         "again")


def deterministic(job: Callable[[], dict[str, Any]], threads: int) -> dict[str, Any]:
    """`job` with torch's deterministic algorithms on `threads` threads, the caller's settings restored after."""
    previous = torch.are_deterministic_algorithms_enabled(), torch.get_num_threads()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(threads)
    try:
        return job()
    finally:
        torch.use_deterministic_algorithms(previous[0])
        torch.set_num_threads(previous[1])


def _run(config: RunConfig, out: Path, resumed: RunDirectory | None, on_sample: Callable[[int], None] | None,
         on_eval: Callable[[dict[str, Any]], None] | None, stored_segments: list[str] | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    reset_peak_rss()
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    family = get_family(config.world)
    stream = config.stream()
    suites = stream.eval_suites(config.eval_episodes)
    agent = make_agent(config.agent, family.vocabulary(), config.policy_config, config.seed, config.agent_options)
    learner_class = get_learner(config.learner)
    learner = construct(learner_class, config.learner, "learner", "cls(agent, config, seed=seed)",
                        agent, config.learner_config, seed=config.seed)
    if resumed is None:
        run = RunDirectory.create(out, {**config.to_dict(), "agent_spec": agent_spec(agent, config.agent),
                                        "segments": list(stream.segments), "provenance": provenance()})
    else:
        run = resumed
    with run:  # locked until the run ends: one writer per run directory
        if resumed is not None:
            _check_segments(out, stored_segments, stream.segments)
        start, earlier = (0, 0.0) if resumed is None else _restore(run, agent, learner)
        if resumed is not None:
            started = time.perf_counter()
        period_ends, first_seen = stream.period_ends(), stream.first_seen()  # fixed for the whole stream
        points = eval_points(len(stream), config.eval_every, period_ends)
        imitation = stream_kind(learner_class, config.learner) == "demonstrations"
        labelled = getattr(learner_class, "uses_labels", False)  # CLIB balances its memory by label; no other sees one
        for item in stream.iter_from(start):
            sample = item.demonstration.episode() if imitation else item.demonstration.task
            if labelled:
                learner.label(sample.uid if imitation else sample.id, item.label)
            learner.observe([sample])
            seen = item.position + 1
            if seen == len(stream):
                learner.flush()
            if on_sample:
                on_sample(seen)
            if seen in points:
                current = seen_segments(stream, seen, first_seen)
                upcoming = upcoming_segments(stream, seen, current, period_ends)
                scores = evaluate(family, agent, suites, current + upcoming, config.max_steps)
                record = {"samples": seen, "updates": getattr(learner, "updates", None), "segment": item.segment,
                          "scores": {s: scores[s] for s in current}, "upcoming": {s: scores[s] for s in upcoming}}
                run.append_metrics(record)
                if on_eval:
                    on_eval(record)
            if config.checkpoint_every and seen % config.checkpoint_every == 0 and seen < len(stream):
                _checkpoint(run, agent, learner, seen, earlier + time.perf_counter() - started)
        train_seconds = earlier + time.perf_counter() - started
        run.save_weights("final", agent.state_dict())
        summary = summarise(run.records, stream.visits(), points)
        summary["cost"] = {"wall_seconds": round(train_seconds, 2),
                           "samples_per_second": round(len(stream) / train_seconds, 3), **learner_cost(learner),
                           "peak_rss_mb": peak_rss_mb(),
                           "trainable_parameters": sum(p.numel() for p in trainable(agent))}
        if config.random_baseline:
            summary["random_baseline"], per_segment = random_baseline(family, suites, stream.segments,
                                                                      config.max_steps, config.seed)
            summary["random_baseline_per_segment"] = per_segment
            add_forward_transfer(summary, run.records, per_segment)
        plot_run(run, summary)
        run.write_summary(summary)
        return summary


def _checkpoint(run: RunDirectory, agent: Agent, learner: Any, samples: int, elapsed: float) -> None:
    state = {k: v for k, v in learner.state_dict().items() if k != "agent"}  # weights go to safetensors
    save_checkpoint(run.checkpoints, Checkpoint(samples=samples, records=len(run.records), elapsed=elapsed,
                                                weights=agent.state_dict(), learner=state, rng=rng_state()))


def _restore(run: RunDirectory, agent: Agent, learner: Any) -> tuple[int, float]:
    """Load the latest checkpoint into `agent` and `learner`; returns (samples done, seconds spent)."""
    checkpoint = load_latest(run.checkpoints)
    if checkpoint is None:  # killed before the first checkpoint: start over
        run.records = []
        return 0, 0.0
    load_weights(agent, checkpoint.weights, f"{run.checkpoints} (latest checkpoint)")
    learner.load_state_dict({**checkpoint.learner, "agent": checkpoint.weights}
                            if isinstance(learner, Learner) else checkpoint.learner)
    restore_rng(checkpoint.rng)
    run.records = run.records[: checkpoint.records]  # evals after the checkpoint are redone
    return checkpoint.samples, checkpoint.elapsed
