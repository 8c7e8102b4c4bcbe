"""The structure of observation lines that clsim's worlds share: a thing's name, its bearing, its state.

A line's *name* is its words up to its first number ("apple 1"); its *bearing* the next few words
("ahead left 3 face ahead level"); its *state* the rest ("hot at counter 1"). Pure functions of the
text, cached, since lines repeat across the steps of an episode: which lines an action names, which
things a line mentions, and how much the instruction names each thing.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=200_000)
def line_name(text: str) -> str:
    """The words of a line up to its first number ("apple 1 ahead left 3 ..." -> "apple 1"); "" if none."""
    words = text.split()
    for i, word in enumerate(words):
        if word.isdigit():
            return " ".join(words[: i + 1])
    return ""


@lru_cache(maxsize=200_000)
def _phrases(text: str, skip: int = 0) -> tuple[str, ...]:
    """Every phrase of 2-5 words in `text` (past its first `skip` words) that ends in a number: the names it
    may mention ("toilet paper hanger 1" is the longest)."""
    words = text.split()
    return tuple(" ".join(words[p - k: p + 1]) for p in range(skip, len(words)) if words[p].isdigit()
                 for k in range(1, min(4, p - skip) + 1))


def _names_in(text: str, index: dict[str, int], skip: int = 0) -> list[int]:
    """The lines (by `index`: name -> line) whose names occur in `text` past its first `skip` words."""
    return list(dict.fromkeys(index[p] for p in _phrases(text, skip) if p in index))


@lru_cache(maxsize=50_000)
def _line_index(lines: tuple[str, ...]) -> tuple[dict[str, int], list[list[int]], list[list[int]]]:
    """(name -> line; per line, the other lines whose things it mentions after its own name; per line, the lines
    that mention its thing)."""
    names = [line_name(t) for t in lines]
    index: dict[str, int] = {}
    for j, name in enumerate(names):
        if name:
            index.setdefault(name, j)
    mentions = [[i for i in _names_in(t, index, len(n.split())) if i != j] for j, (t, n) in enumerate(zip(lines, names))]
    mentioned_by: list[list[int]] = [[] for _ in lines]
    for j, mentioned in enumerate(mentions):
        for i in mentioned:
            mentioned_by[i].append(j)
    return index, mentions, mentioned_by


@lru_cache(maxsize=50_000)
def bindings(lines: tuple[str, ...], candidates: tuple[str, ...]) -> tuple[tuple[int, int, float, int], ...]:
    """(candidate, line, weight, kind) for each candidate that names lines: kind 0 binds it to the lines it names
    (equal weights), kind 1 to the lines that mention what it names ("ToggleObjectOn microwave 1" and the line
    "apple 1 ... at microwave 1"), so acting on a thing is scored with what is in, on or at it."""
    index, _, mentioned_by = _line_index(lines)
    out = []
    for k, option in enumerate(candidates):
        named = _names_in(option, index)
        out += [(k, j, 1.0 / len(named), 0) for j in named]
        mentioning = [j for j in dict.fromkeys(j for i in named for j in mentioned_by[i]) if j not in named]
        out += [(k, j, 1.0 / len(mentioning), 1) for j in mentioning]
    return tuple(out)


@lru_cache(maxsize=200_000)
def name_match(instruction: str, line: str) -> float:
    """The share of a line's name words (its number aside) whose stems occur in the instruction: 1.0 for
    "desk lamp 1" under "turn on the desk lamp", 0.0 for a line without a name."""
    words = [w for w in line_name(line).split() if not w.isdigit()]
    if not words:
        return 0.0
    said = _stems(instruction)
    return sum(stem(w) in said for w in words) / len(words)


@lru_cache(maxsize=50_000)
def contents(lines: tuple[str, ...]) -> tuple[tuple[int, int, float], ...]:
    """(line i, line j, weight): line j mentions line i's thing after its own name ("apple 1 ... at counter 1"
    mentions counter 1), weighted equally over each i's mentions, so a thing's line can be read with what is
    in, on or at it."""
    _, _, mentioned_by = _line_index(lines)
    return tuple((i, j, 1.0 / len(js)) for i, js in enumerate(mentioned_by) for j in js)


@lru_cache(maxsize=50_000)
def line_flags(instruction: str, lines: tuple[str, ...]) -> list[tuple[float, float]]:
    """Per line: how much the instruction names its thing (:func:`name_match`), and how much it names a thing
    this line mentions after its own name ("apple 1 ... at counter 1" under "put an apple on the counter")."""
    _, mentions, _ = _line_index(lines)
    named = [name_match(instruction, t) for t in lines]
    return [(named[j], max((named[i] for i in mentioned), default=0.0)) for j, mentioned in enumerate(mentions)]


@lru_cache(maxsize=20_000)
def _stems(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in text.lower().split())


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """A plural-insensitive form, so "apples" in an instruction matches "apple 1" in a line."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("oes", "ches", "shes", "xes", "sses")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@lru_cache(maxsize=200_000)
def split_line(text: str, named: bool, leading: int) -> tuple[int, str, str]:
    """(words in its name, the line without its bearing, its bearing): "apple 1 ahead left 3 face ahead level hot
    at counter 1" -> (2, "apple 1 hot at counter 1", "ahead left 3 face ahead level"). The bearing is the first
    `leading` words after the name; a candidate (not `named`) keeps all its words and its first ones by position."""
    words = text.split()
    if not named:
        return 0, text, " ".join(words[:leading])
    n = len(line_name(text).split())
    return n, " ".join(words[:n] + words[n + leading:]), " ".join(words[n: n + leading])
