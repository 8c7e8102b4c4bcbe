"""Benchmark sweeps: one run per (learner, order, seed), run here or as tasks on a Ray cluster.

Each run is an ordinary run directory, so a sweep that stops (a killed process, a lost Ray
node) is continued by starting it again: finished runs are kept, unfinished ones resume from
their last checkpoint, and every run uses a fixed thread count so that its numbers do not
depend on where it ran.
"""

from __future__ import annotations

import re
import socket
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from .eval.rundir import RunDirectory
from .experiment import RunConfig, resume_experiment, run_experiment
from .learners import get_learner, learner_settings


@dataclass(frozen=True)
class Job:
    config: RunConfig
    out: Path

    @property
    def name(self) -> str:
        return self.out.name


@dataclass(frozen=True)
class JobResult:
    job: Job
    status: str  # "ran", "resumed", "kept" (finished before), or "failed"
    error: str | None = None


def parse_numbers(text: str, what: str) -> list[int]:
    """``"1-5"``, ``"1,3,5"``, ``"1-3,7"`` -> sorted distinct numbers; a clear error otherwise."""
    numbers: set[int] = set()
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match:
            raise ValueError(f"{what} must be numbers or ranges like 1-5 or 1,3,5; got {text!r}")
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        if high < low:
            raise ValueError(f"{what} range {part.strip()!r} runs backwards")
        numbers.update(range(low, high + 1))
    return sorted(numbers)


def plan(base: RunConfig, learners: Iterable[str], orders: Iterable[int], seeds: Iterable[int], root: Path,
         options: Mapping[str, Any] | None = None) -> list[Job]:
    """One job per (learner, order, seed), each checked before anything runs. Each learner takes, from `base`'s
    learner settings and the learner `options` given for the benchmark, those its own settings class has."""
    jobs = []
    for learner in learners:
        settings = learner_settings(get_learner(learner), {**asdict(base.learner_config), **(options or {})})
        for order in orders:
            for seed in seeds:
                config = replace(base, learner=learner, order=order, seed=seed, learner_config=settings)
                config.validate()
                jobs.append(Job(config, root / config.run_name()))
    return jobs


def run_job(config: dict[str, Any], out: str) -> str:
    """Run, resume or keep one job's run directory (on the config's thread count); returns what was done. Runs in
    a worker process."""
    path, wanted = Path(out), RunConfig.from_dict(config)
    if (path / "config.json").exists():
        if RunConfig.from_dict(RunDirectory.read_config(path)).to_dict() != wanted.to_dict():
            raise ValueError(f"{path} holds a run with other settings; use another --out to keep both")
        if RunDirectory.is_finished(path):
            return "kept"
        resume_experiment(path)
        return "resumed"
    run_experiment(wanted, path)
    return "ran"


class Executor(Protocol):
    def map(self, jobs: list[Job], on_done: Callable[[JobResult], None]) -> list[JobResult]: ...


def _result(job: Job, work: Callable[[], str]) -> JobResult:
    try:
        return JobResult(job, work())
    except Exception as error:  # one failed run must not stop the sweep; its traceback goes in the result
        return JobResult(job, "failed", f"{error}\n{traceback.format_exc(limit=-3)}")


class LocalExecutor:
    """Runs jobs one after another in this process."""

    def map(self, jobs: list[Job], on_done: Callable[[JobResult], None]) -> list[JobResult]:
        results = []
        for job in jobs:
            results.append(_result(job, lambda job=job: run_job(job.config.to_dict(), str(job.out))))
            on_done(results[-1])
        return results


class RayExecutor:
    """Runs each job as a Ray task with as many CPUs as its config has threads, on a local Ray instance or the
    cluster at `address`."""

    def __init__(self, address: str | None = None, num_cpus: int | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise ValueError("the ray executor needs Ray: pip install 'clsim[ray]'") from None
        self.ray = ray
        self.address, self.num_cpus = address, num_cpus

    def map(self, jobs: list[Job], on_done: Callable[[JobResult], None]) -> list[JobResult]:
        ray = self.ray
        started_here = not ray.is_initialized()
        if started_here:
            ray.init(address=self.address, num_cpus=None if self.address else self.num_cpus,
                     include_dashboard=False, log_to_driver=False, configure_logging=False)
        try:
            task = ray.remote(max_retries=0)(run_job)
            pending = {task.options(num_cpus=job.config.threads or 1).remote(job.config.to_dict(),
                                                                              str(job.out.resolve())): i
                       for i, job in enumerate(jobs)}
            results: dict[int, JobResult] = {}
            while pending:
                [done], _ = ray.wait(list(pending), num_returns=1)
                i = pending.pop(done)
                results[i] = _result(jobs[i], lambda done=done: ray.get(done))
                on_done(results[i])
            return [results[i] for i in range(len(jobs))]
        finally:
            if started_here:
                ray.shutdown()


def make_executor(name: str, address: str | None = None) -> Executor:
    if name == "local":
        if address is not None:
            raise ValueError("--address is for the ray executor; the local executor runs here")
        return LocalExecutor()
    if name == "ray":
        if address is not None:
            check_reachable(address)
        return RayExecutor(address)
    raise ValueError(f"unknown executor {name!r}; choose local or ray")


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Refuse a Ray address (``HOST:PORT``, ``ray://HOST:PORT`` or ``auto``) where nothing answers, before Ray
    spends a minute retrying it."""
    if address == "auto":
        return
    host, _, port = address.split("://")[-1].rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"--address must be HOST:PORT (or ray://HOST:PORT, or auto), got {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as error:
        raise ValueError(f"no Ray cluster answers at {address} ({error.strerror or error}); start one there with "
                         "`ray start --head`, or leave out --address to start Ray on this machine") from None
