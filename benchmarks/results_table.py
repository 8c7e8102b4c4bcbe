"""Shared by the benchmark scripts: print a results table and write it to benchmarks/results/<name>.json."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table


def report(title: str, results: dict[str, float | str], name: str, column: str = "value") -> None:
    table = Table(title=title)
    table.add_column("measure")
    table.add_column(column, justify="right")
    for key, value in results.items():
        table.add_row(key, value if isinstance(value, str) else f"{value:,.3f}" if value < 100 else f"{value:,.0f}")
    Console().print(table)
    out = Path(__file__).parent / "results" / f"{name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
