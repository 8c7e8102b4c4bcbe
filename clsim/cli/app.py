"""The ``clsim`` command line: train, feedback, benchmark, eval, report, stream, play, list, doctor.

Each command lives in its own module, reads its options, builds a config and calls the library.
"""

from __future__ import annotations

import typer

from .benchmark import benchmark
from .catalogue import list_
from .doctor import doctor
from .feedback import feedback
from .play import play_
from .results import eval_, report
from .run import stream_, train

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="clsim: embodied and online continual learning.")
app.command()(train)
app.command()(feedback)
app.command()(benchmark)
app.command("eval")(eval_)
app.command()(report)
app.command("stream")(stream_)
app.command("play")(play_)
app.command("list")(list_)
app.command()(doctor)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
