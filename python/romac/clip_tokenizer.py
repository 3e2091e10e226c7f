"""An independent Python CLIP tokenizer: the reference romac's C++ one (lib/Zoom/Tokenizer.cpp) is checked against.

Written from the published algorithm (OpenAI CLIP's ``simple_tokenizer.py``, which
transformers' ``CLIPTokenizer`` follows): NFC (the part of ftfy.fix_text romac reproduces,
see docs/zoom.md), ``html.unescape`` twice, strip, ``\\s+`` -> one space, strip,
``str.lower()``; the pre-tokenizer regex with ``\\p{L}``/``\\p{N}`` from the ``regex`` module
(Debian's python3-regex), IGNORECASE as published; ``bytes_to_unicode``; byte-pair merges
lowest rank first; BOS/EOS, truncation to 77 and SD2's pad id 0. It reads the gzip'd merges
(``models/clip/bpe_simple_vocab_16e6.txt.gz``) directly.

Used by ``python/tests/test_zoom_tokenizer.py`` and by the whole-pipeline reference
``romac.zoom_reference``. Importing it needs the ``regex`` module.
"""

import gzip
import html
import os
import unicodedata

import regex

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BPE = os.path.join(REPO, "models", "clip", "bpe_simple_vocab_16e6.txt.gz")


class ReferenceClipTokenizer:
    PATTERN = regex.compile(
        r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
        regex.IGNORECASE,
    )

    def __init__(self, path=BPE):
        printable = [b for b in range(256) if 33 <= b <= 126 or 161 <= b <= 172 or 174 <= b <= 255]
        others = [b for b in range(256) if b not in printable]
        self.byte_char = {b: chr(b) for b in printable}
        self.byte_char.update({b: chr(256 + i) for i, b in enumerate(others)})
        order = printable + others
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        self.merges = [tuple(line.split()) for line in lines[1 : 49152 - 256 - 2 + 1]]
        tokens = [self.byte_char[b] for b in order]
        tokens += [t + "</w>" for t in tokens]
        tokens += [a + b for a, b in self.merges]
        tokens += ["<|startoftext|>", "<|endoftext|>"]
        self.vocab = {t: i for i, t in enumerate(tokens)}
        self.rank = {m: i for i, m in enumerate(self.merges)}

    @staticmethod
    def clean(text):
        text = unicodedata.normalize("NFC", text)
        text = html.unescape(html.unescape(text)).strip()
        return regex.sub(r"\s+", " ", text).strip().lower()

    def bpe(self, piece):
        word = [self.byte_char[b] for b in piece.encode("utf-8")]
        word[-1] += "</w>"
        while len(word) > 1:
            pairs = [(self.rank.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(word, word[1:]))]
            best, at = min(pairs)
            if best == 1 << 30:
                break
            first, second = word[at], word[at + 1]
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == first and word[i + 1] == second:
                    out.append(first + second)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = out
        return word

    def encode(self, text):
        """The BPE ids of ``text``, without BOS/EOS or padding."""
        ids = []
        for piece in self.PATTERN.findall(self.clean(text)):
            if piece in ("<|startoftext|>", "<|endoftext|>"):
                ids.append(self.vocab[piece])
            else:
                ids.extend(self.vocab[s] for s in self.bpe(piece))
        return ids

    def tokenize(self, text, length=77, pad=0):
        """BOS, the ids cut at ``length - 2``, EOS, then ``pad`` up to ``length``."""
        ids = [self.vocab["<|startoftext|>"]] + self.encode(text)[: length - 2] + [self.vocab["<|endoftext|>"]]
        return ids + [pad] * (length - len(ids))
