"""The README's two commands are the ones CI runs, and the console script is declared."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    return [b.strip() for b in blocks if "pip install" in b]


def test_readme_has_exactly_the_two_setup_commands():
    commands = readme_commands()
    assert len(commands) == 2
    assert commands[0].endswith("clsim train --setup behavior-il")
    assert commands[1].endswith("pytest")


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert readme_commands()[1] in ci.splitlines()


def test_console_script_points_at_the_cli():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'clsim = "clsim.cli.app:main"' in pyproject.splitlines()
    torch = re.search(r'"(torch[^"]*)"', pyproject).group(1)
    assert torch.startswith("torch>=") and "2.13.0" not in torch, "a range that the pinned CPU build satisfies"


# clsim's layers, lowest first: a module may import from its own layer and the ones below, never above.
LAYERS = ({"devices", "files", "options", "plugins", "provenance"}, {"envs", "records"}, {"streams"}, {"agents", "learners"},
          {"eval"}, {"experiment", "run", "benchmark", "reevaluate", "interactive", "doctor"},
          {"cli", "__init__", "__main__"})


def _layer(parts: tuple[str, ...]) -> int:
    return next(i for i, names in enumerate(LAYERS) if parts[0] in names)


def _imports(path: Path, package: Path) -> list[tuple[str, ...]]:
    """The clsim modules `path` imports at run time (as paths inside the package), relative imports resolved;
    imports made for type checkers only are left out."""
    import ast

    here = path.relative_to(package).with_suffix("").parts
    tree = ast.parse(path.read_text())
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and getattr(block.test, "id", None) == "TYPE_CHECKING" for n in ast.walk(block)}
    out = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[: len(here) - node.level]
            out.append(base + tuple((node.module or "").split(".")) if node.module else base)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("clsim."):
            out.append(tuple(node.module.split(".")[1:]))
    return [parts for parts in out if parts]


def test_no_module_imports_from_a_layer_above_its_own_and_no_package_cycles():
    package = Path(__file__).resolve().parent.parent / "clsim"
    upward, edges = [], {}
    for path in package.rglob("*.py"):
        here = path.relative_to(package).with_suffix("").parts
        for target in _imports(path, package):
            if _layer(target) > _layer(here):
                upward.append(f"{'/'.join(here)} imports {'.'.join(target)}")
            if len(here) > 1 and target[0] == here[0] and len(target) > 1:  # within one package: module graph
                edges.setdefault(here, set()).add(target)
    assert not upward, "\n".join(sorted(upward))
    modules = {m: {t for t in ts if t in edges or (package / Path(*t)).with_suffix(".py").exists()}
               for m, ts in edges.items()}

    def reaches(start: tuple[str, ...], goal: tuple[str, ...], seen: set) -> bool:
        for nxt in modules.get(start, ()):
            if nxt == goal or (nxt not in seen and not seen.add(nxt) and reaches(nxt, goal, seen)):
                return True
        return False

    cycles = sorted("/".join(m) for m in modules if reaches(m, m, set()))
    assert not cycles, f"import cycles through: {', '.join(cycles)}"


def test_import_clsim_alone_registers_every_world_with_gymnasium():
    import subprocess
    import sys

    code = ("import gymnasium, clsim; print(sorted(i for i in gymnasium.registry if i.startswith('clsim/'))); "
            "env = gymnasium.make('clsim/Navigation-v0'); print(type(env.unwrapped).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == ("['clsim/BabyAI-v0', 'clsim/Household-v0', 'clsim/HouseholdHL-v0', 'clsim/Navigation-v0', "
                      "'clsim/ScienceWorld-v0', 'clsim/TextWorld-v0', 'clsim/TextWorldExpress-v0']") and \
        out[1] == "NavigationEnv"
