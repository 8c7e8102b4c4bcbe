"""Where a run's tensors live and in which floating-point type (``--device``, ``--dtype``).

A run sets torch's default device and dtype for its whole length, so every agent, learner and PPO's critic
builds its parameters and batches there without each of them passing a device around; the caller's defaults
come back afterwards. CPU and float32 are the defaults, and the only placement the tests run numbers on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import torch

DEVICES = ("cpu", "cuda", "mps")
DTYPES = {"float32": torch.float32, "float64": torch.float64, "bfloat16": torch.bfloat16, "float16": torch.float16}


def device_available(device: str) -> bool:
    kind = device.split(":")[0]
    if kind == "cuda":
        return torch.cuda.is_available() and (":" not in device or int(device.split(":")[1]) < torch.cuda.device_count())
    if kind == "mps":
        return torch.backends.mps.is_available()
    return kind == "cpu"


def check_placement(device: str, dtype: str) -> None:
    """Raise a ValueError naming the bad device or dtype and what is allowed or present here."""
    if device.split(":")[0] not in DEVICES:
        raise ValueError(f"unknown device {device!r}; allowed: {', '.join(DEVICES)} (cuda:N for one GPU)")
    if not device_available(device):
        present = [d for d in DEVICES if device_available(d)]
        raise ValueError(f"device {device!r} is not available on this machine; available here: {', '.join(present)}")
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; allowed: {', '.join(DTYPES)}")


@contextmanager
def placed(device: str = "cpu", dtype: str = "float32") -> Iterator[None]:
    """Tensors made inside default to `device` and floating-point `dtype`."""
    previous = torch.get_default_dtype()
    if device.startswith("cuda"):  # deterministic cuBLAS needs a fixed workspace (torch's reproducibility notes)
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.set_default_dtype(DTYPES[dtype])
    # torch.device(...) as a context intercepts every torch call (~6-12 % of a CPU run's time, measured), so it is
    # entered only when the run's device is not already the default one
    same = torch.device(device) == torch.get_default_device()
    try:
        with nullcontext() if same else torch.device(device):
            yield
    finally:
        torch.set_default_dtype(previous)
