//===- Tokenizer.h - the CLIP byte-level BPE tokenizer ----------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The tokenizer of Stable Diffusion 2's text encoder: OpenAI CLIP's
// byte-level BPE (simple_tokenizer.py; transformers' CLIPTokenizer), as
// docs/zoom.md describes:
//
//  1. clean-up: Unicode NFC, html.unescape() twice, strip, every run of
//     whitespace to one space, strip, lower-case (full Unicode mappings);
//  2. CLIP's pre-tokenizer regex
//       <|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|
//       [\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
//     with Unicode letter / number / white-space classes (ICU);
//  3. each piece's UTF-8 bytes mapped to printable characters
//     (bytes_to_unicode), `</w>` appended to its last symbol, and byte-pair
//     merges applied lowest rank first;
//  4. BOS 49406, the ids cut to length - 2, EOS 49407, padded to the length
//     (77) with the pad id (0 for SD2, whose pad token is "!").
//
// The vocabulary comes from an optimum model directory's
// tokenizer/{vocab.json,merges.txt} or, derived the way OpenAI derives it,
// from bpe_simple_vocab_16e6.txt.gz (models/clip/).
//
//===----------------------------------------------------------------------===//

#ifndef ROMAC_ZOOM_TOKENIZER_H
#define ROMAC_ZOOM_TOKENIZER_H

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace romac::zoom {

/// The clean-up CLIP applies before pre-tokenizing (step 1 above), on UTF-8
/// text. Fails only on invalid UTF-8.
llvm::Expected<std::string> cleanClipText(llvm::StringRef text);

/// Python's html.unescape() on UTF-8 text (HTML5 named references, also the
/// ones without ';', and numeric references with html's replacements).
/// \p text must be valid UTF-8.
std::string htmlUnescape(llvm::StringRef text);

/// The pieces CLIP's pre-tokenizer regex finds in already cleaned UTF-8
/// text (step 2 above). \p text must be valid UTF-8.
std::vector<std::string> clipPreTokenize(llvm::StringRef text);

/// A CLIP byte-level BPE tokenizer.
class ClipTokenizer {
public:
  /// `<|startoftext|>` and `<|endoftext|>` of the CLIP vocabulary.
  static constexpr int64_t kBosId = 49406;
  static constexpr int64_t kEosId = 49407;
  /// CLIP's context length (model_max_length).
  static constexpr unsigned kContextLength = 77;
  /// SD2's pad id: its pad token is "!" (SD1 pads with EOS, 49407).
  static constexpr int64_t kSd2PadId = 0;
  /// The number of merges OpenAI and transformers read from the BPE file:
  /// 49152 - 256 - 2 (lines 2 .. 48895 of bpe_simple_vocab_16e6.txt).
  static constexpr unsigned kNumMerges = 48894;

  /// Reads transformers' files: \p vocabJsonPath ({"token": id, ...}) and
  /// \p mergesPath ("#version" header, then one "first second" merge a
  /// line; at most kNumMerges are used, as transformers does). Errors name
  /// the file and what is wrong with it.
  static llvm::Expected<ClipTokenizer> loadHF(llvm::StringRef vocabJsonPath,
                                               llvm::StringRef mergesPath);
  /// Reads OpenAI's gzip-compressed bpe_simple_vocab_16e6.txt and derives the
  /// vocabulary from it as simple_tokenizer.py does.
  static llvm::Expected<ClipTokenizer> loadOpenAI(llvm::StringRef bpeGzPath);
  /// MODEL_DIR/tokenizer/{vocab.json,merges.txt} when MODEL_DIR/tokenizer
  /// exists, else \p fallbackBpeGzPath (loadOpenAI()).
  static llvm::Expected<ClipTokenizer>
  loadModelDir(llvm::StringRef modelDir, llvm::StringRef fallbackBpeGzPath);

  /// The merges (first, second) in rank order and the vocabulary as
  /// transformers writes them into vocab.json / merges.txt.
  static llvm::Expected<std::vector<std::pair<std::string, std::string>>>
  readOpenAIMerges(llvm::StringRef bpeGzPath);

  /// The ids of \p text without BOS/EOS and without truncation. Fails on
  /// invalid UTF-8, or when a BPE symbol is missing from the vocabulary.
  llvm::Expected<std::vector<int64_t>> encode(llvm::StringRef text) const;
  /// The text encoder's input: BOS, encode(text) cut to \p length - 2, EOS,
  /// then \p padId up to \p length (transformers' padding="max_length",
  /// truncation=True). \p length is at least 2.
  llvm::Expected<std::vector<int64_t>>
  tokenize(llvm::StringRef text, unsigned length = kContextLength,
           int64_t padId = kSd2PadId) const;

  /// The BPE symbols of one pre-tokenized piece (UTF-8 bytes), e.g.
  /// "photo" -> {"photo</w>"}.
  std::vector<std::string> bpe(llvm::StringRef piece) const;

  /// The size of the vocabulary (49408 for CLIP).
  size_t getVocabSize() const { return vocab.size(); }

private:
  ClipTokenizer() = default;
  /// Builds the rank table; fails when a merge's result is not in the vocab.
  llvm::Error
  init(const std::vector<std::pair<std::string, std::string>> &merges,
       llvm::StringRef source);

  llvm::StringMap<int64_t> vocab;
  /// "first second" -> rank.
  llvm::StringMap<unsigned> ranks;
  /// bytes_to_unicode(): byte -> its printable character in UTF-8.
  std::string byteSymbols[256];
};

} // namespace romac::zoom

#endif // ROMAC_ZOOM_TOKENIZER_H
