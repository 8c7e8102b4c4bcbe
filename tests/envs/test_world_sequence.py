"""A world sequence: one family whose segments are whole worlds, each task replayed and scored by its own world."""

from dataclasses import replace

import pytest

from clsim.agents import RandomAgent
from clsim.envs import get_family
from clsim.eval.rollout import rollout
from clsim.streams import Stream, get_setup

pytest.importorskip("textworld_express", reason="the textworlds extra is not installed")


@pytest.fixture(scope="module")
def worlds():
    return get_family("household+navigation+twx")


def test_a_world_il_stream_meets_each_world_in_turn_without_telling_the_learner(worlds):
    stream = Stream(worlds, get_setup("world-il"), order=1, seed=0, per_segment=4)
    assert stream.segments == ("household", "navigation", "twx")
    assert [segment for segment, _ in stream.tasks] == ["household"] * 4 + ["navigation"] * 4 + ["twx"] * 4
    assert [task.family for _, task in stream.tasks] == [segment for segment, _ in stream.tasks]
    episode = stream.item(5).demonstration.episode()
    assert not hasattr(episode, "family") and episode.steps  # the learner sees steps, not the world's name
    assert get_setup("world-il").segments(worlds, 2) == ("twx", "navigation", "household")


def test_tasks_replay_and_score_as_in_their_own_world(worlds):
    for name in ("household", "navigation", "twx"):
        tasks = worlds.make_tasks(name, "all", "seen", 3, seed=1)
        assert {t.family for t in tasks} == {name}
        own = rollout(get_family(name), RandomAgent(4), tasks, max_steps=8)
        through = rollout(worlds, RandomAgent(4), tasks, max_steps=8)
        # a sequence scores what every world shares (SR, GC, PLW); a world's own scores (SPL...) need its own runs
        assert [replace(r, facts=None) for r in own] == through, name


def test_the_vocabulary_covers_every_world_and_unknown_worlds_are_refused(worlds):
    words = set(worlds.vocabulary())
    assert all(set(get_family(n).vocabulary()) <= words for n in worlds.worlds)
    with pytest.raises(ValueError, match="has no world 'babyai'"):
        worlds.make_tasks("babyai", "all", "train", 1, seed=0)
    with pytest.raises(ValueError, match="replays tasks of its worlds"):
        worlds.make_env().reset()
