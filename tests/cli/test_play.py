"""clsim play: a person (here, scripted input) plays a task through the text interface."""

from conftest import text
from typer.testing import CliRunner

from clsim.cli.app import app
from clsim.cli.play import choose_task
from clsim.envs import get_family

ARGS = ["play", "--task-type", "pick_and_place_simple", "--scene-type", "kitchen", "--seed", "3"]


def test_typing_the_experts_choices_solves_the_task_and_hints_help():
    task = choose_task("household", "pick_and_place_simple", "kitchen", "train", 3)
    choices = [str(step.action) for step in get_family("household").demonstrate(task).steps]
    result = CliRunner().invoke(app, ARGS, input="hint\n99\n" + "\n".join(choices) + "\n")
    assert result.exit_code == 0, result.output
    output = text(result)
    assert task.instruction in output and "[0] MoveAhead" in output
    assert "hint:" in output and "no candidate 99" in output
    assert f"success: goal conditions 1/1, {len(choices)} steps (the expert needs {len(choices)})" in output


def test_quitting_or_failing_exits_1_and_bad_choices_exit_2():
    quit_ = CliRunner().invoke(app, ARGS, input="RotateLeft\nquit\n")
    assert quit_.exit_code == 1 and "stopped by the player" in text(quit_)
    bad = CliRunner().invoke(app, ["play", "--task-type", "pick_heat_then_place_in_recep", "--scene-type", "bathroom"])
    assert bad.exit_code == 2 and "does not occur in 'bathroom'" in text(bad)
