"""The non-graph parts of an Optimum SD2-inpainting export: ``tokenizer/`` and ``scheduler/``.

``romac zoom`` reads a model directory in the layout ``optimum-cli export onnx --task
inpainting`` writes (docs/zoom.md). Besides the four graphs that layout has

* ``tokenizer/vocab.json`` and ``tokenizer/merges.txt``: CLIP's byte-level BPE, derived from
  OpenAI's ``bpe_simple_vocab_16e6.txt.gz`` (``models/clip/``, MIT) exactly as OpenAI's
  ``simple_tokenizer.py`` and transformers' ``CLIPTokenizer`` derive them: the merges are
  lines 2 .. 48895 of the file (``merges[1:49152-256-2+1]``); the vocabulary is the 256
  byte symbols of ``bytes_to_unicode()`` in its order, the same with ``</w>``, one token per
  merge, then ``<|startoftext|>`` (49406) and ``<|endoftext|>`` (49407); ``merges.txt``
  is transformers' ``save_vocabulary`` format (``#version: 0.2`` header). Plus SD2's
  ``special_tokens_map.json`` (pad token ``"!"``, id 0) and ``tokenizer_config.json``.
* ``scheduler/scheduler_config.json``: the published PNDM configuration of
  stabilityai/stable-diffusion-2-inpainting.
"""

import gzip
import json
import os
from typing import Dict, List, Tuple

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BPE_PATH = os.path.join(REPO, "models", "clip", "bpe_simple_vocab_16e6.txt.gz")
NUM_MERGES = 49152 - 256 - 2

SCHEDULER_CONFIG = {
    "_class_name": "PNDMScheduler",
    "_diffusers_version": "0.8.0",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "clip_sample": False,
    "num_train_timesteps": 1000,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "trained_betas": None,
}

SPECIAL_TOKENS_MAP = {
    "bos_token": "<|startoftext|>",
    "eos_token": "<|endoftext|>",
    "pad_token": "!",
    "unk_token": "<|endoftext|>",
}

TOKENIZER_CONFIG = {
    "tokenizer_class": "CLIPTokenizer",
    "model_max_length": 77,
    "do_lower_case": True,
    "errors": "replace",
    "add_prefix_space": False,
    "bos_token": "<|startoftext|>",
    "eos_token": "<|endoftext|>",
    "pad_token": "!",
    "unk_token": "<|endoftext|>",
}


def bytes_to_unicode() -> Dict[int, str]:
    """Each byte's printable stand-in: printable Latin-1 bytes are themselves, the others
    256, 257, ... in byte order (the dict's order is the vocabulary's)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def read_merges(bpe_path: str = BPE_PATH) -> List[Tuple[str, str]]:
    with gzip.open(bpe_path) as fh:
        lines = fh.read().decode("utf-8").split("\n")
    merges = [tuple(line.split()) for line in lines[1 : NUM_MERGES + 1]]
    if len(merges) != NUM_MERGES or any(len(m) != 2 for m in merges):
        raise ValueError(f"{bpe_path}: not CLIP's BPE merges file")
    return merges


def clip_vocab(merges: List[Tuple[str, str]]) -> Dict[str, int]:
    symbols = list(bytes_to_unicode().values())
    tokens = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges]
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    return {t: i for i, t in enumerate(tokens)}


def _write_json(path: str, obj) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=2, sort_keys=True, ensure_ascii=False)
        fh.write("\n")


def write_tokenizer(folder: str, bpe_path: str = BPE_PATH) -> None:
    """``folder/{vocab.json, merges.txt, special_tokens_map.json, tokenizer_config.json}``."""
    os.makedirs(folder, exist_ok=True)
    merges = read_merges(bpe_path)
    _write_json(os.path.join(folder, "vocab.json"), clip_vocab(merges))
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as fh:
        fh.write("#version: 0.2\n")
        for a, b in merges:
            fh.write(f"{a} {b}\n")
    _write_json(os.path.join(folder, "special_tokens_map.json"), SPECIAL_TOKENS_MAP)
    _write_json(os.path.join(folder, "tokenizer_config.json"), TOKENIZER_CONFIG)


def write_scheduler(folder: str) -> None:
    """``folder/scheduler_config.json`` (SD2-inpainting's PNDM configuration)."""
    os.makedirs(folder, exist_ok=True)
    _write_json(os.path.join(folder, "scheduler_config.json"), SCHEDULER_CONFIG)


def write_pipeline_files(out_dir: str) -> List[str]:
    """``out_dir/tokenizer/`` and ``out_dir/scheduler/``; returns those entry names."""
    write_tokenizer(os.path.join(out_dir, "tokenizer"))
    write_scheduler(os.path.join(out_dir, "scheduler"))
    return ["scheduler", "tokenizer"]
