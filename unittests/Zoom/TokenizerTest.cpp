//===- TokenizerTest.cpp - the CLIP tokenizer -------------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Ids quoted from published sources (OpenAI's clip.tokenize, transformers'
// CLIPTokenizer as used in Bumblebee's tests), the clean-up, the
// pre-tokenizer, truncation and padding, and errors for bad vocabularies.
// The exhaustive comparison with an independent Python implementation is
// python/tests/test_zoom_tokenizer.py.
//
//===----------------------------------------------------------------------===//

#include "romac/Zoom/Tokenizer.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace romac::zoom;

namespace {

std::string bpeGzPath() {
  return std::string(ROMAC_SOURCE_DIR) + "/models/clip/bpe_simple_vocab_16e6.txt.gz";
}

const ClipTokenizer &tokenizer() {
  static ClipTokenizer *tok = [] {
    auto t = ClipTokenizer::loadOpenAI(bpeGzPath());
    if (!t) {
      ADD_FAILURE() << llvm::toString(t.takeError());
      std::abort();
    }
    return new ClipTokenizer(std::move(*t));
  }();
  return *tok;
}

std::vector<int64_t> encode(llvm::StringRef text) {
  auto ids = tokenizer().encode(text);
  EXPECT_TRUE(static_cast<bool>(ids));
  if (!ids) {
    llvm::consumeError(ids.takeError());
    return {};
  }
  return *ids;
}

TEST(ClipTokenizerTest, VocabularySize) {
  EXPECT_EQ(tokenizer().getVocabSize(), 49408u);
}

// "a photo of a cat" / "a photo of a dog": transformers' CLIPTokenizer
// (openai/clip-vit-base-patch32) in Bumblebee's tokenizer test;
// "a painting of a cat" with clip.tokenize (zero padded).
TEST(ClipTokenizerTest, PublishedIds) {
  EXPECT_EQ(encode("a photo of a cat"),
            (std::vector<int64_t>{320, 1125, 539, 320, 2368}));
  EXPECT_EQ(encode("a photo of a dog"),
            (std::vector<int64_t>{320, 1125, 539, 320, 1929}));
  auto ids = tokenizer().tokenize("a painting of a cat");
  ASSERT_TRUE(static_cast<bool>(ids));
  std::vector<int64_t> expected{49406, 320, 3086, 539, 320, 2368, 49407};
  expected.resize(77, 0);
  EXPECT_EQ(*ids, expected);
}

TEST(ClipTokenizerTest, CleanUp) {
  auto clean = [](llvm::StringRef s) {
    auto c = cleanClipText(s);
    return c ? *c : "<" + llvm::toString(c.takeError()) + ">";
  };
  EXPECT_EQ(clean("  A  Cat\t\nON  a MAT "), "a cat on a mat");
  EXPECT_EQ(clean("Tom &amp; Jerry &lt;3 &#65;&#x42;"), "tom & jerry <3 ab");
  EXPECT_EQ(clean("&amp;amp;"), "&"); // unescaped twice
  EXPECT_EQ(clean("&ampere"), "&ere"); // "amp" without ';' is an entity
  EXPECT_EQ(clean("e\xCC\x81"), "\xC3\xA9"); // NFC: e + U+0301 -> U+00E9
  EXPECT_EQ(clean("\xCE\x9F\xCE\xA3"), "\xCE\xBF\xCF\x82"); // final sigma
  EXPECT_EQ(clean("\x80"), "<the prompt is not valid UTF-8>");
}

TEST(ClipTokenizerTest, PreTokenizer) {
  auto pieces = clipPreTokenize("it's 42 cats!!<|endoftext|>x");
  EXPECT_EQ(pieces, (std::vector<std::string>{"it", "'s", "4", "2", "cats",
                                              "!!<|", "endoftext", "|>",
                                              "x"}));
  EXPECT_EQ(clipPreTokenize("<|endoftext|>a"),
            (std::vector<std::string>{"<|endoftext|>", "a"}));
}

TEST(ClipTokenizerTest, TruncationAndPadding) {
  std::string longPrompt;
  for (int i = 0; i < 100; ++i)
    longPrompt += "cat ";
  auto ids = tokenizer().tokenize(longPrompt);
  ASSERT_TRUE(static_cast<bool>(ids));
  ASSERT_EQ(ids->size(), 77u);
  EXPECT_EQ(ids->front(), ClipTokenizer::kBosId);
  EXPECT_EQ((*ids)[75], 2368);
  EXPECT_EQ(ids->back(), ClipTokenizer::kEosId);
  auto empty = tokenizer().tokenize("");
  ASSERT_TRUE(static_cast<bool>(empty));
  std::vector<int64_t> expected{49406, 49407};
  expected.resize(77, 0);
  EXPECT_EQ(*empty, expected);
  auto sd1 = tokenizer().tokenize("", 5, ClipTokenizer::kEosId);
  ASSERT_TRUE(static_cast<bool>(sd1));
  EXPECT_EQ(*sd1, (std::vector<int64_t>{49406, 49407, 49407, 49407, 49407}));
}

TEST(ClipTokenizerTest, BadFiles) {
  auto missing = ClipTokenizer::loadOpenAI("/nonexistent/bpe.txt.gz");
  ASSERT_FALSE(static_cast<bool>(missing));
  EXPECT_NE(llvm::toString(missing.takeError()).find("/nonexistent/bpe.txt.gz"),
            std::string::npos);

  llvm::SmallString<128> vocab, merges;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("vocab", "json", vocab));
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("merges", "txt", merges));
  {
    std::error_code ec;
    llvm::raw_fd_ostream(vocab, ec) << "{\"a\": 1,";
    llvm::raw_fd_ostream(merges, ec) << "#version: 0.2\na b\n";
  }
  auto bad = ClipTokenizer::loadHF(vocab, merges);
  ASSERT_FALSE(static_cast<bool>(bad));
  std::string msg = llvm::toString(bad.takeError());
  EXPECT_NE(msg.find(vocab.str().str()), std::string::npos) << msg;
  EXPECT_NE(msg.find("not valid JSON"), std::string::npos) << msg;
  llvm::sys::fs::remove(vocab);
  llvm::sys::fs::remove(merges);
}

} // namespace
