"""Agents: the scoring contract, determinism and checkpoint round-trip of both LM policies; what the grounded
policy ties to what; its rollout cache; baselines."""

import pytest
import torch

from clsim.agents import Agent, ExpertAgent, LMPolicy, LMPolicyConfig, RandomAgent
from clsim.agents.base import pad_logits
from clsim.agents.grounded import GroundedPolicy, GroundedPolicyConfig
from clsim.agents.lines import bindings, line_name, name_match, split_line
from clsim.eval.episodes import score
from clsim.eval.rollout import rollout

TINY = {LMPolicy: LMPolicyConfig(hidden=16, layers=1, heads=2, intermediate=32, word_dim=8),
        GroundedPolicy: GroundedPolicyConfig(hidden=16, layers=1, heads=2, intermediate=32, word_dim=8)}
POLICIES = pytest.mark.parametrize("policy", [GroundedPolicy, LMPolicy], ids=["lm", "lm-text"])


def observations(household, n=6, behavior="pick_and_place_simple", scene="kitchen"):
    task = household.make_tasks(behavior, scene, "train", 1, 0)[0]
    return household.demonstrate(task).episode().observations()[:n]


@POLICIES
def test_policy_scores_each_candidate_and_is_seeded(household, policy):
    obs = observations(household)
    a = policy(household.vocabulary(), TINY[policy], seed=1).eval()  # eval: no dropout
    b = policy(household.vocabulary(), TINY[policy], seed=1).eval()
    assert isinstance(a, Agent)
    scores = a.scores(obs)
    assert [len(s) for s in scores] == [len(o["candidates"]) for o in obs]
    assert all(torch.equal(x, y) for x, y in zip(scores, b.scores(obs)))
    assert not torch.equal(scores[0], policy(household.vocabulary(), TINY[policy], seed=2).eval().scores(obs)[0])
    actions = a.act(obs)
    assert all(0 <= i < len(o["candidates"]) for i, o in zip(actions, obs))


@POLICIES
def test_policy_tokenizer_covers_the_world(household, policy):
    obs = observations(household, 20)
    agent = policy(household.vocabulary(), TINY[policy])
    texts = [o["observation"] for o in obs] + [o["instruction"] for o in obs] + [c for o in obs for c in o["candidates"]]
    assert agent.tokenizer.unknown_rate(texts) == 0.0


@POLICIES
def test_policy_state_dict_round_trip(household, policy):
    obs = observations(household)
    a = policy(household.vocabulary(), TINY[policy], seed=1).eval()
    b = policy(household.vocabulary(), TINY[policy], seed=7).eval()
    b.load_state_dict(a.state_dict())
    assert all(torch.equal(x, y) for x, y in zip(a.scores(obs), b.scores(obs)))


@POLICIES
def test_policy_reads_the_lines_after_an_instruction_longer_than_its_context(household, policy):
    """A TextWorld objective runs to 150 words, more than the 128 positions: the policy keeps the instruction's
    first `max_instruction_words` and still reads the observation's lines."""
    obs = observations(household, 2)
    long = [dict(o, instruction=" ".join([o["instruction"]] * 20)) for o in obs]
    assert len(long[0]["instruction"].split()) > TINY[policy].max_positions
    agent = policy(household.vocabulary(), TINY[policy], seed=1).eval()
    scores = agent.scores(long)
    assert [len(s) for s in scores] == [len(o["candidates"]) for o in obs]
    other_room = dict(long[0], observation=long[1]["observation"], candidates=long[0]["candidates"])
    assert not torch.equal(agent.scores([other_room])[0], scores[0]), "the lines still count"
    cut = dict(long[0], instruction=" ".join(long[0]["instruction"].split()[:TINY[policy].max_instruction_words]))
    assert torch.allclose(agent.scores([cut])[0], scores[0], atol=1e-6), "only the instruction's first words count"


def test_grounded_policy_ties_actions_to_the_lines_of_what_they_name():
    lines = ("kitchen", "hand empty looking level", "microwave 1 abreast center 0 face ahead level closed off",
             "apple 1 abreast center 0 face ahead level hot at microwave 1",
             "apple 2 ahead left 3 face ahead level at counter 1", "counter 1 ahead left 3 face ahead level")
    assert [line_name(t) for t in lines] == ["", "", "microwave 1", "apple 1",
                                             "apple 2", "counter 1"]
    tied = bindings(lines, ("MoveAhead", "PickupObject apple 2", "OpenObject microwave 1"))
    assert (1, 4, 1.0, 0) in tied, "an action is tied to the line of the thing it names"
    assert (2, 2, 1.0, 0) in tied and (2, 3, 1.0, 1) in tied, "and to the lines of what is in or at that thing"
    assert not [t for t in tied if t[0] == 0], "a move names nothing"
    assert name_match("put two apples on the counter .", lines[3]) == 1.0, "plurals match"
    assert name_match("turn on the desk lamp .", "desk lamp 1 ahead left 2 face ahead level off at desk 1") == 1.0
    assert name_match("put an apple on the counter .", lines[2]) == 0.0
    assert split_line(lines[3], True, 6) == (2, "apple 1 hot at microwave 1", "abreast center 0 face ahead level")


def test_grounded_words_say_where_the_instruction_names_them_counted_from_its_end():
    from clsim.agents.line_encoder import WordFeatures
    from clsim.agents.tokenizer import WordTokenizer

    tokenizer = WordTokenizer(["walk", "past", "the", "plant", "stop", "by", "lamp", "."])
    features = WordFeatures(tokenizer, GroundedPolicyConfig(word_dim=8, match_position=4))
    ids = torch.tensor(tokenizer.encode(["plant", "lamp", "walk"]))  # [3 lines, 1 word]
    short = torch.tensor(tokenizer.encode(["stop by the plant ."] * 3))  # "plant" 2nd from the end
    long = torch.tensor(tokenizer.encode(["walk past the plant stop by the lamp ."] * 3))
    with torch.no_grad():
        features.where.weight.copy_(torch.arange(5).float().unsqueeze(1).expand(5, 8))  # row k: k everywhere
        plain = WordFeatures(tokenizer, GroundedPolicyConfig(word_dim=8, match_position=0))
        plain.load_state_dict({k: v for k, v in features.state_dict().items() if not k.startswith("where")})
        base = plain(ids, short)
        where = (features(ids, short) - base)[:, 0, 0].tolist()
        assert where == pytest.approx([2.0, 0.0, 0.0], abs=1e-5), "plant: 2nd word from the end; lamp, walk not named"
        assert ((features(ids, long) - plain(ids, long))[:, 0, 0]).tolist() == pytest.approx([0.0, 2.0, 0.0], abs=1e-5), \
            "plant 6th from the end, beyond the 4 counted; lamp 2nd"
    with pytest.raises(ValueError, match="match_position must be >= 0, got -1"):
        GroundedPolicyConfig(match_position=-1)


@pytest.mark.parametrize("ablation", [{}, {"pointer": False}, {"bind_candidates": False}, {"match_flags": False},
                                      {"match_position": 0}])
def test_grounded_policy_gives_a_distribution_over_candidates_with_any_part_switched_off(household, ablation):
    obs = observations(household, 8, "look_at_obj_in_light", "bedroom")
    config = GroundedPolicyConfig(**{**vars(TINY[GroundedPolicy]), **ablation})
    logits, mask = pad_logits(GroundedPolicy(household.vocabulary(), config, seed=0).scores(obs))
    assert torch.allclose(logits.masked_fill(~mask, -torch.inf).logsumexp(-1), torch.zeros(len(obs)), atol=1e-5)


def test_grounded_policy_rollout_cache_gives_the_same_scores_and_follows_updates(household):
    obs = observations(household, 10)
    agent = GroundedPolicy(household.vocabulary(), TINY[GroundedPolicy], seed=0).eval()
    fresh = agent.scores(obs)
    with torch.no_grad():
        cached = [agent.scores(obs[:5]), agent.scores(obs)]  # the second call reuses the first's line vectors
    assert all(torch.allclose(x, y) for x, y in zip(fresh, cached[1]))
    optimizer = torch.optim.Adam(agent.parameters(), lr=1e-2)
    logits, _ = pad_logits(agent.scores(obs))
    torch.nn.functional.cross_entropy(logits, torch.zeros(len(obs), dtype=torch.long)).backward()
    optimizer.step()
    with torch.no_grad():
        after = agent.scores(obs)
    assert not torch.allclose(after[0], cached[1][0]), "an update invalidates the cached line vectors"
    assert all(torch.allclose(x, y) for x, y in zip(after, agent.scores(obs)))


def test_grounded_policy_scores_a_step_alike_alone_or_in_a_batch_and_bounds_the_steps_it_keeps(household):
    obs = observations(household, 6) + observations(household, 5, "look_at_obj_in_light", "bedroom")
    agent = GroundedPolicy(household.vocabulary(), TINY[GroundedPolicy], seed=0).eval()
    together = agent.scores(obs)  # two instructions of different lengths, so rows are padded differently
    assert len(agent.parser) == len({(o["instruction"], o["observation"]) for o in obs})
    agent.parser.limit = 2
    alone = [agent.scores([o])[0] for o in obs]
    assert len(agent.parser) == 1, "past its limit, the parser starts afresh at the next batch"
    assert all(torch.allclose(x, y, atol=1e-6) for x, y in zip(together, alone))


def test_expert_agent_succeeds_and_random_agent_does_not(household):
    tasks = household.make_tasks("pick_clean_then_place_in_recep", "bathroom", "seen", 4, 0)
    assert score(rollout(household, ExpertAgent(), tasks)).sr == 1.0
    random_scores = score(rollout(household, RandomAgent(seed=0), tasks, max_steps=40))
    assert random_scores.sr == 0.0 and random_scores.episodes == 4


def test_knn_policy_replays_what_it_remembers_and_keeps_a_bounded_uniform_memory(household):
    from clsim.agents.knn import KNNConfig, KNNPolicy

    task = household.make_tasks("pick_and_place_simple", "kitchen", "train", 1, 0)[0]
    episode = household.demonstrate(task).episode()
    agent = KNNPolicy(household.vocabulary(), KNNConfig(k=1))
    assert agent.act(episode.observations()) == [0] * len(episode.steps), "an empty memory has no preference"
    agent.remember(episode.observations(), [s.action_text for s in episode.steps])
    assert agent.act(episode.observations()) == episode.actions(), "a remembered step is its own nearest neighbour"
    copy = KNNPolicy(household.vocabulary(), KNNConfig(k=1))
    copy.load_state_dict(agent.state_dict())
    assert copy.actions == agent.actions and copy.act(episode.observations()) == episode.actions()
    bounded = KNNPolicy(household.vocabulary(), KNNConfig(memory=5), seed=3)
    for _ in range(4):
        bounded.remember(episode.observations(), [s.action_text for s in episode.steps])
    assert len(bounded.actions) == 5 and bounded.offered == 4 * len(episode.steps)
    with pytest.raises(ValueError, match="not a memory of this KNNPolicy"):
        KNNPolicy(household.vocabulary(), KNNConfig(dim=64)).load_state_dict(agent.state_dict())
