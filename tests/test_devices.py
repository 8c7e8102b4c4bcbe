"""--device and --dtype: a run's tensors are placed where asked, in the type asked, and a missing device or an
unknown type is refused before the run starts."""

import pytest
import torch
from conftest import TINY_POLICY, text, train
from safetensors import safe_open

from clsim.agents import make_agent
from clsim.devices import check_placement, placed


def weight_dtypes(path):
    with safe_open(str(path), framework="pt") as f:
        return {f.get_slice(k).get_dtype() for k in f.keys()}


def test_a_float64_run_trains_and_saves_float64_weights_and_restores_the_default(tmp_path):
    result = train(tmp_path, "f64", "--dtype", "float64")
    assert result.exit_code == 0, result.output
    assert weight_dtypes(tmp_path / "f64/checkpoints/final.safetensors") == {"F64"}
    assert torch.get_default_dtype() == torch.float32  # the caller's default is back
    assert train(tmp_path, "f32").exit_code == 0
    assert weight_dtypes(tmp_path / "f32/checkpoints/final.safetensors") == {"F32"}


def test_agents_build_every_parameter_and_buffer_on_the_runs_device(household):
    """The meta device stands in for a GPU: nothing is allocated, but every tensor says where it was made."""
    with placed("meta", "bfloat16"):
        agent = make_agent("lm", household.vocabulary(), TINY_POLICY, 0, {})
    tensors = [*agent.parameters(), *agent.buffers()]
    assert tensors and {t.device.type for t in tensors} == {"meta"}
    assert {t.dtype for t in agent.parameters()} == {torch.bfloat16}
    assert torch.zeros(1).device.type == "cpu" and torch.get_default_dtype() == torch.float32


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_a_device_this_machine_lacks_is_refused_before_the_run(tmp_path):
    result = train(tmp_path, "gpu", "--device", "cuda")
    assert result.exit_code == 2 and "device 'cuda' is not available on this machine; available here: cpu" in \
        text(result)
    assert not (tmp_path / "gpu").exists()


def test_unknown_devices_and_dtypes_name_what_is_allowed():
    with pytest.raises(ValueError, match=r"unknown device 'tpu'; allowed: cpu, cuda, mps"):
        check_placement("tpu", "float32")
    with pytest.raises(ValueError, match=r"unknown dtype 'int8'; allowed: float32, float64, bfloat16, float16"):
        check_placement("cpu", "int8")
