"""romac's C++ CLIP tokenizer (lib/Zoom/Tokenizer.cpp) against an independent Python one.

The reference is ``romac.clip_tokenizer`` (python/romac/clip_tokenizer.py), written from the
published algorithm (OpenAI CLIP's ``simple_tokenizer.py``); the whole-pipeline reference
``romac.zoom_reference`` shares it. The C++ side is driven through the
test-only ``romac-zoom-tool tokenize`` over a few hundred seeded random strings (ASCII,
accents, combining marks, CJK, emoji, numbers, punctuation, HTML entities, odd white
space, contractions, special tokens, very long and empty prompts), once with the gzip
file and once with the ``tokenizer/vocab.json`` + ``merges.txt`` the model zoo exports.
Published ids anchor the reference itself.
"""

import json
import os
import random
import subprocess

import pytest

from conftest import find_built

pytest.importorskip("regex")
from romac.clip_tokenizer import BPE, ReferenceClipTokenizer  # noqa: E402


@pytest.fixture(scope="module")
def ref():
    return ReferenceClipTokenizer()


# ----------------------------------------------------------------------------------------
# Test strings
# ----------------------------------------------------------------------------------------

FIXED = [
    "",
    " ",
    "a photo of a cat",
    "A Photo Of A CAT!!!",
    "an astronaut riding a horse on mars, highly detailed, 8k, trending on artstation",
    "It's, they're, we've, I'm, you'll, he'd; IT'S WE'VE",
    "'s 's's ''s",
    "1234567890 3.14159 1,000,000 ½ Ⅻ ٣ ²",
    "café naïve façade Zürich Ørsted Ελληνικά ΟΔΟΣ Straße İstanbul",
    "e\u0301 a\u0300 o\u0308 n\u0303 (combining marks)",
    "東京タワーの夜景、美しい 猫 고양이 ภาษาไทย हिन्दी",
    "emoji 😀🎉👩‍👩‍👧 flags 🇫🇷 skin 👍🏽",
    "Tom &amp; Jerry &lt;3 &#65;&#x42; &eacute;t&eacute; &amp;amp; &notit; &ampere &#0; &#x110000; &#128;",
    "tabs\tnew\nlines\r\nand\u00a0nbsp\u2003em\u3000ideographic\u2028sep\x0bvt\x1cfs",
    "\x1c leading and trailing separators \x1f",
    "<|startoftext|> explicit <|endoftext|> tokens<|endoftext|>!!<|endoftext|>",
    "ſ and 's after long s: 'ſ",
    "punctuation... !?;:—–-_/\\|@#$%^&*()[]{}<>~`\"",
    "ﬁ ligature, “curly” ‘quotes’ ＦＵＬＬＷＩＤＴＨ",
    " ".join(["very long prompt"] * 60),
    "a" * 300,
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "ΟΣ ΣΑΣ final sigma",
]

POOLS = [
    "a cat dog photo painting of the in on with by landscape portrait cinematic lighting".split(),
    list("!?.,;:'\"-_()[]{}<>/\\|@#$%^&*+=~`"),
    ["0", "7", "42", "1999", "3.5", "1e6", "½", "٣", "Ⅻ", "²"],
    ["café", "naïve", "Ångström", "Łódź", "ÉCOLE", "e\u0301", "ı", "İ", "ß", "Σ"],
    ["猫", "東京", "タワー", "고양이", "中文字符", "ไทย", "हिन्दी", "العربية"],
    ["😀", "🎉", "👩‍👩‍👧", "🇫🇷", "👍🏽", "❤️", "✨"],
    ["&amp;", "&lt;", "&gt;", "&#65;", "&#x1F600;", "&nbsp;", "&eacute", "&bogus;", "&"],
    [" ", "  ", "\t", "\n", "\u00a0", "\u2003", "\u3000", "\x1c", "\u200b"],
    ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL"],
    ["<|endoftext|>", "<|startoftext|>", "<|"],
]


def random_strings(n=300, seed=13):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        k = rng.choice([1, 2, 5, 10, 30, 120])
        parts = []
        for _ in range(k):
            pool = rng.choice(POOLS)
            parts.append(rng.choice(pool))
            parts.append(rng.choice(["", " ", " ", " "]))
        text = "".join(parts)
        if rng.random() < 0.3:
            text = text.upper()
        out.append(text)
    return out


STRINGS = FIXED + random_strings()


# ----------------------------------------------------------------------------------------
# Tests
# ----------------------------------------------------------------------------------------


def _tool():
    return find_built("unittests/romac-zoom-tool", "romac-zoom-tool")


def cpp_tokenize(args, strings):
    p = subprocess.run([_tool(), "tokenize", *args], input=json.dumps(strings), capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_reference_matches_published_ids(ref):
    # transformers' CLIPTokenizer (Bumblebee's test) and clip.tokenize (zero padded).
    assert ref.encode("a photo of a cat") == [320, 1125, 539, 320, 2368]
    assert ref.encode("a photo of a dog") == [320, 1125, 539, 320, 1929]
    assert ref.tokenize("a painting of a cat")[:8] == [49406, 320, 3086, 539, 320, 2368, 49407, 0]
    assert len(ref.vocab) == 49408


def _compare(ref, results):
    assert len(results) == len(STRINGS)
    mismatches = []
    for text, got in zip(STRINGS, results):
        if got != {"ids": ref.tokenize(text), "encode": ref.encode(text)}:
            mismatches.append((text, got, ref.encode(text)))
    assert not mismatches, f"{len(mismatches)} of {len(STRINGS)} differ; first: {mismatches[0]!r}"


def test_cpp_matches_reference_from_the_bpe_file(ref):
    assert len(STRINGS) >= 300
    _compare(ref, cpp_tokenize(["--bpe", BPE], STRINGS))


def test_cpp_matches_reference_from_the_exported_tokenizer_dir(ref, tmp_path):
    from romac.models import pipeline_files

    pipeline_files.write_tokenizer(str(tmp_path))
    with open(tmp_path / "vocab.json", encoding="utf-8") as fh:
        assert json.load(fh) == ref.vocab
    with open(tmp_path / "merges.txt", encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    assert lines[0] == "#version: 0.2" and lines[-1] == ""
    assert [tuple(x.split(" ")) for x in lines[1:-1]] == ref.merges
    _compare(ref, cpp_tokenize(["--hf", str(tmp_path / "vocab.json"), str(tmp_path / "merges.txt")], STRINGS))


def test_cpp_rejects_invalid_utf8_and_bad_files(tmp_path):
    bad = tmp_path / "vocab.json"
    bad.write_text('{"a": ')
    (tmp_path / "merges.txt").write_text("#version: 0.2\na b\n")
    p = subprocess.run([_tool(), "tokenize", "--hf", str(bad), str(tmp_path / "merges.txt")],
                       input="[]", capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and str(bad) in p.stderr and "not valid JSON" in p.stderr


def test_whole_sd2_export_has_tokenizer_and_scheduler(tiny_reexport, ref):
    # Optimum's layout: tokenizer/ and scheduler/ next to the four graphs.
    assert {"tokenizer", "scheduler"} <= set(os.listdir(tiny_reexport))
    with open(os.path.join(tiny_reexport, "tokenizer", "vocab.json"), encoding="utf-8") as fh:
        assert json.load(fh) == ref.vocab
    with open(os.path.join(tiny_reexport, "tokenizer", "special_tokens_map.json"), encoding="utf-8") as fh:
        assert json.load(fh)["pad_token"] == "!"  # SD2 pads with id 0
    with open(os.path.join(tiny_reexport, "scheduler", "scheduler_config.json"), encoding="utf-8") as fh:
        cfg = json.load(fh)
    assert cfg["_class_name"] == "PNDMScheduler" and cfg["steps_offset"] == 1 and cfg["skip_prk_steps"] is True
