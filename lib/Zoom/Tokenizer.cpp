//===- Tokenizer.cpp - the CLIP byte-level BPE tokenizer ------------------===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// CLIP's clean-up, pre-tokenizer and BPE (include/romac/Zoom/Tokenizer.h).
// Unicode classes, NFC and lower-casing come from ICU; html.unescape()'s
// tables are generated from Python's html module (HtmlEntities.inc).
//
//===----------------------------------------------------------------------===//

#include "romac/Zoom/Tokenizer.h"

#include "romac/Support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>

using namespace romac;
using namespace romac::zoom;

namespace {
struct HtmlEntity {
  const char *name;
  const char *text;
};
struct HtmlCharRef {
  uint32_t from;
  uint32_t to;
};
#include "HtmlEntities.inc"
} // namespace

//===----------------------------------------------------------------------===//
// UTF-8 <-> UTF-32
//===----------------------------------------------------------------------===//

static bool isValidUtf8(llvm::StringRef text) {
  const auto *p = reinterpret_cast<const llvm::UTF8 *>(text.data());
  return llvm::isLegalUTF8String(&p, p + text.size());
}

static std::u32string toUtf32(llvm::StringRef text) {
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  std::u32string out;
  out.reserve(u.length());
  for (int32_t i = 0; i < u.length(); i = u.moveIndex32(i, 1))
    out.push_back(static_cast<char32_t>(u.char32At(i)));
  return out;
}

static void appendUtf8(std::string &out, char32_t c) {
  char buf[4];
  char *p = buf;
  llvm::ConvertCodePointToUTF8(c, p);
  out.append(buf, p);
}

static std::string toUtf8(const std::u32string &text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text)
    appendUtf8(out, c);
  return out;
}

//===----------------------------------------------------------------------===//
// Character classes
//===----------------------------------------------------------------------===//

/// `\s` of the `regex` module: the Unicode White_Space property.
static bool isRegexSpace(char32_t c) { return u_isUWhiteSpace(c); }
/// str.isspace() (what str.strip() removes): White_Space plus the
/// information separators U+001C..U+001F (bidi class B/S).
static bool isPySpace(char32_t c) {
  return isRegexSpace(c) || (c >= 0x1c && c <= 0x1f);
}
static bool isLetter(char32_t c) { return U_GET_GC_MASK(c) & U_GC_L_MASK; }
static bool isNumber(char32_t c) { return U_GET_GC_MASK(c) & U_GC_N_MASK; }

//===----------------------------------------------------------------------===//
// html.unescape()
//===----------------------------------------------------------------------===//

/// The text of the HTML5 reference \p name (with its ';' if any), or null.
static const char *lookupEntity(llvm::StringRef name) {
  const HtmlEntity *begin = std::begin(kHtmlEntities);
  const HtmlEntity *end = std::end(kHtmlEntities);
  const HtmlEntity *it =
      std::lower_bound(begin, end, name, [](const HtmlEntity &e, llvm::StringRef n) {
        return llvm::StringRef(e.name) < n;
      });
  return it != end && llvm::StringRef(it->name) == name ? it->text : nullptr;
}

/// html._replace_charref for a numeric reference whose value is \p num
/// (saturated at 0x110000).
static void appendNumericRef(std::u32string &out, uint32_t num) {
  for (const HtmlCharRef &r : kInvalidCharRefs)
    if (r.from == num) {
      out.push_back(r.to);
      return;
    }
  if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) {
    out.push_back(0xFFFD);
    return;
  }
  if (llvm::is_contained(kInvalidCodepoints, num))
    return;
  out.push_back(num);
}

static bool isHexDigit(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

/// Tries a numeric reference at s[i] == '&'; returns the end of the match
/// (0 when there is none).
static size_t unescapeNumeric(const std::u32string &s, size_t i,
                              std::u32string &out) {
  size_t j = i + 1;
  if (j >= s.size() || s[j] != '#')
    return 0;
  ++j;
  bool hex = j < s.size() && (s[j] == 'x' || s[j] == 'X');
  if (hex)
    ++j;
  size_t start = j;
  uint64_t num = 0;
  while (j < s.size() && (hex ? isHexDigit(s[j]) : (s[j] >= '0' && s[j] <= '9'))) {
    char32_t c = s[j];
    unsigned d = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    num = std::min<uint64_t>(num * (hex ? 16 : 10) + d, 0x110000);
    ++j;
  }
  if (j == start)
    return 0;
  if (j < s.size() && s[j] == ';')
    ++j;
  appendNumericRef(out, static_cast<uint32_t>(num));
  return j;
}

/// Tries a named reference at s[i] == '&' (html._charref's third branch);
/// returns the end of the match (0 when there is none).
static size_t unescapeNamed(const std::u32string &s, size_t i,
                            std::u32string &out) {
  size_t j = i + 1;
  while (j < s.size() && j - (i + 1) < 32 &&
         !llvm::is_contained(U"\t\n\f <&#;", s[j]))
    ++j;
  if (j == i + 1)
    return 0;
  if (j < s.size() && s[j] == ';')
    ++j;
  std::u32string name = s.substr(i + 1, j - (i + 1));
  if (const char *text = lookupEntity(toUtf8(name))) {
    out += toUtf32(text);
    return j;
  }
  // The longest known prefix of at least two characters.
  for (size_t x = name.size() - 1; x > 1; --x)
    if (const char *text = lookupEntity(toUtf8(name.substr(0, x)))) {
      out += toUtf32(text);
      out += name.substr(x);
      return j;
    }
  out.push_back('&');
  out += name;
  return j;
}

static std::u32string htmlUnescape32(const std::u32string &s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s[i] != '&') {
      out.push_back(s[i++]);
      continue;
    }
    if (size_t end = unescapeNumeric(s, i, out)) {
      i = end;
      continue;
    }
    if (size_t end = unescapeNamed(s, i, out)) {
      i = end;
      continue;
    }
    out.push_back(s[i++]);
  }
  return out;
}

std::string zoom::htmlUnescape(llvm::StringRef text) {
  return toUtf8(htmlUnescape32(toUtf32(text)));
}

//===----------------------------------------------------------------------===//
// Clean-up
//===----------------------------------------------------------------------===//

static std::u32string pyStrip(const std::u32string &s) {
  size_t b = 0, e = s.size();
  while (b < e && isPySpace(s[b]))
    ++b;
  while (e > b && isPySpace(s[e - 1]))
    --e;
  return s.substr(b, e - b);
}

llvm::Expected<std::string> zoom::cleanClipText(llvm::StringRef text) {
  if (!isValidUtf8(text))
    return makeStringError("the prompt is not valid UTF-8");
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2 *nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status))
    return makeStringError(llvm::Twine("ICU has no NFC normalizer: ") +
                           u_errorName(status));
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  icu::UnicodeString normalized = nfc->normalize(u, status);
  if (U_FAILURE(status))
    return makeStringError(llvm::Twine("NFC normalization failed: ") +
                           u_errorName(status));
  std::string utf8;
  normalized.toUTF8String(utf8);

  // basic_clean: (ftfy's NFC above) html.unescape twice, strip.
  std::u32string s = pyStrip(htmlUnescape32(htmlUnescape32(toUtf32(utf8))));
  // whitespace_clean: every run of \s to one space, strip.
  std::u32string collapsed;
  for (size_t i = 0; i < s.size();) {
    if (!isRegexSpace(s[i])) {
      collapsed.push_back(s[i++]);
      continue;
    }
    while (i < s.size() && isRegexSpace(s[i]))
      ++i;
    collapsed.push_back(' ');
  }
  collapsed = pyStrip(collapsed);
  // lower(): full Unicode lower-case mappings (final sigma included).
  std::string lowered;
  icu::UnicodeString::fromUTF8(toUtf8(collapsed))
      .toLower(icu::Locale::getRoot())
      .toUTF8String(lowered);
  return lowered;
}

//===----------------------------------------------------------------------===//
// Pre-tokenizer
//===----------------------------------------------------------------------===//

/// The regex is compiled with IGNORECASE, which uses simple case folding:
/// U+017F LATIN SMALL LETTER LONG S folds to 's' (and survives lower()).
static char32_t foldCase(char32_t c) { return c == 0x17F ? U's' : c; }

/// Whether s[i..] starts with \p word under foldCase().
static bool startsWithFolded(const std::u32string &s, size_t i,
                             std::u32string_view word) {
  if (s.size() - i < word.size())
    return false;
  for (size_t k = 0; k < word.size(); ++k)
    if (foldCase(s[i + k]) != word[k])
      return false;
  return true;
}

/// The length of the match of the alternatives before the character classes
/// (special tokens and contractions) at s[i], or 0.
static size_t matchFixed(const std::u32string &s, size_t i) {
  static constexpr std::u32string_view kFixed[] = {
      U"<|startoftext|>", U"<|endoftext|>", U"'s", U"'t", U"'re",
      U"'ve",             U"'m",            U"'ll", U"'d"};
  for (std::u32string_view w : kFixed)
    if (startsWithFolded(s, i, w))
      return w.size();
  return 0;
}

std::vector<std::string> zoom::clipPreTokenize(llvm::StringRef text) {
  std::u32string s = toUtf32(text);
  std::vector<std::string> pieces;
  for (size_t i = 0; i < s.size();) {
    size_t len = matchFixed(s, i);
    if (!len) {
      size_t j = i;
      if (isLetter(s[i])) {
        while (j < s.size() && isLetter(s[j]))
          ++j;
      } else if (isNumber(s[i])) {
        j = i + 1;
      } else {
        while (j < s.size() && !isRegexSpace(s[j]) && !isLetter(s[j]) &&
               !isNumber(s[j]))
          ++j;
      }
      len = j - i;
    }
    if (!len) { // white space: no alternative matches here
      ++i;
      continue;
    }
    pieces.push_back(toUtf8(s.substr(i, len)));
    i += len;
  }
  return pieces;
}

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

/// bytes_to_unicode(): the bytes in vocabulary order (printable Latin-1
/// first, then the others) and each byte's character.
static std::vector<uint8_t> byteOrder() {
  std::vector<uint8_t> order;
  auto printable = [](unsigned b) {
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) ||
           (b >= 0xAE && b <= 0xFF);
  };
  for (unsigned b = 0; b < 256; ++b)
    if (printable(b))
      order.push_back(b);
  for (unsigned b = 0; b < 256; ++b)
    if (!printable(b))
      order.push_back(b);
  return order;
}

static void fillByteSymbols(std::string (&symbols)[256]) {
  std::vector<uint8_t> order = byteOrder();
  // The first 188 (94 + 12 + 82) bytes stand for themselves, the others for
  // 256, 257, ... in order.
  for (auto [i, b] : llvm::enumerate(order)) {
    symbols[b].clear();
    appendUtf8(symbols[b], i < 188 ? char32_t(b) : char32_t(256 + i - 188));
  }
}

llvm::Error ClipTokenizer::init(
    const std::vector<std::pair<std::string, std::string>> &merges,
    llvm::StringRef source) {
  fillByteSymbols(byteSymbols);
  for (auto [rank, merge] : llvm::enumerate(merges)) {
    std::string joined = merge.first + merge.second;
    if (!vocab.count(joined))
      return makeStringError(source + ": the merge '" + merge.first + " " +
                             merge.second + "' (line " +
                             llvm::Twine(rank + 2) +
                             ") makes a token missing from the vocabulary");
    ranks.try_emplace(merge.first + " " + merge.second, rank);
  }
  for (uint8_t b = 0;; ++b) {
    if (!vocab.count(byteSymbols[b]) || !vocab.count(byteSymbols[b] + "</w>"))
      return makeStringError(source + ": the vocabulary lacks the symbol of byte " +
                             llvm::Twine(unsigned(b)));
    if (b == 255)
      break;
  }
  for (llvm::StringRef special : {"<|startoftext|>", "<|endoftext|>"})
    if (!vocab.count(special))
      return makeStringError(source + ": the vocabulary lacks " + special);
  return llvm::Error::success();
}

/// Splits \p text into merges: line 0 (the header) is skipped, then at most
/// kNumMerges lines "first second" are read (trailing empty lines ignored).
static llvm::Expected<std::vector<std::pair<std::string, std::string>>>
parseMerges(llvm::StringRef text, llvm::StringRef path) {
  llvm::SmallVector<llvm::StringRef> lines;
  text.rtrim("\n").split(lines, '\n');
  std::vector<std::pair<std::string, std::string>> merges;
  for (size_t i = 1; i < lines.size() && merges.size() < ClipTokenizer::kNumMerges;
       ++i) {
    llvm::SmallVector<llvm::StringRef> parts;
    lines[i].split(parts, ' ', -1, /*KeepEmpty=*/false);
    if (parts.size() != 2)
      return makeStringError(path + ":" + llvm::Twine(i + 1) +
                             ": a merge is two symbols separated by a space");
    merges.emplace_back(parts[0].str(), parts[1].str());
  }
  if (merges.empty())
    return makeStringError(path + ": no merges");
  return merges;
}

llvm::Expected<std::vector<std::pair<std::string, std::string>>>
ClipTokenizer::readOpenAIMerges(llvm::StringRef bpeGzPath) {
  std::string path = bpeGzPath.str();
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f)
    return makeStringError("cannot open the BPE vocabulary '" + bpeGzPath +
                           "': " + std::strerror(errno));
  std::string text;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof(buf))) > 0) {
    text.append(buf, n);
    if (text.size() > (64u << 20))
      break;
  }
  int err = 0;
  const char *msg = n < 0 ? gzerror(f, &err) : nullptr;
  std::string message = msg ? msg : "";
  gzclose(f);
  if (n < 0)
    return makeStringError("cannot read the BPE vocabulary '" + bpeGzPath +
                           "': " + message);
  if (text.size() > (64u << 20))
    return makeStringError("'" + bpeGzPath + "' is too large for a BPE vocabulary");
  if (!isValidUtf8(text))
    return makeStringError("'" + bpeGzPath + "' is not valid UTF-8 text");
  auto merges = parseMerges(text, bpeGzPath);
  if (merges && merges->size() != kNumMerges)
    return makeStringError("'" + bpeGzPath + "' has " +
                           llvm::Twine(merges->size()) + " merges, CLIP needs " +
                           llvm::Twine(kNumMerges));
  return merges;
}

llvm::Expected<ClipTokenizer>
ClipTokenizer::loadOpenAI(llvm::StringRef bpeGzPath) {
  auto merges = readOpenAIMerges(bpeGzPath);
  if (!merges)
    return merges.takeError();
  ClipTokenizer tok;
  fillByteSymbols(tok.byteSymbols);
  std::vector<uint8_t> order = byteOrder();
  int64_t id = 0;
  for (uint8_t b : order)
    tok.vocab[tok.byteSymbols[b]] = id++;
  for (uint8_t b : order)
    tok.vocab[tok.byteSymbols[b] + "</w>"] = id++;
  for (auto &m : *merges)
    tok.vocab[m.first + m.second] = id++;
  tok.vocab["<|startoftext|>"] = id++;
  tok.vocab["<|endoftext|>"] = id++;
  if (llvm::Error e = tok.init(*merges, bpeGzPath))
    return std::move(e);
  return tok;
}

llvm::Expected<ClipTokenizer>
ClipTokenizer::loadHF(llvm::StringRef vocabJsonPath,
                      llvm::StringRef mergesPath) {
  auto vocabBuf = llvm::MemoryBuffer::getFile(vocabJsonPath);
  if (!vocabBuf)
    return makeStringError("cannot read '" + vocabJsonPath +
                           "': " + vocabBuf.getError().message());
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*vocabBuf)->getBuffer());
  if (!json)
    return makeStringError("'" + vocabJsonPath + "' is not valid JSON: " +
                           llvm::toString(json.takeError()));
  const llvm::json::Object *obj = json->getAsObject();
  if (!obj)
    return makeStringError("'" + vocabJsonPath +
                           "' must hold one object {\"token\": id, ...}");
  ClipTokenizer tok;
  for (const auto &[key, value] : *obj) {
    std::optional<int64_t> id = value.getAsInteger();
    if (!id || *id < 0 || *id > std::numeric_limits<int32_t>::max())
      return makeStringError("'" + vocabJsonPath + "': the id of '" +
                             llvm::StringRef(key) +
                             "' is not a non-negative integer");
    tok.vocab[key] = *id;
  }
  auto mergesBuf = llvm::MemoryBuffer::getFile(mergesPath);
  if (!mergesBuf)
    return makeStringError("cannot read '" + mergesPath +
                           "': " + mergesBuf.getError().message());
  auto merges = parseMerges((*mergesBuf)->getBuffer(), mergesPath);
  if (!merges)
    return merges.takeError();
  if (llvm::Error e = tok.init(*merges, mergesPath))
    return std::move(e);
  return tok;
}

llvm::Expected<ClipTokenizer>
ClipTokenizer::loadModelDir(llvm::StringRef modelDir,
                            llvm::StringRef fallbackBpeGzPath) {
  llvm::SmallString<256> dir(modelDir);
  llvm::sys::path::append(dir, "tokenizer");
  if (!llvm::sys::fs::is_directory(dir))
    return loadOpenAI(fallbackBpeGzPath);
  llvm::SmallString<256> vocabPath(dir), mergesPath(dir);
  llvm::sys::path::append(vocabPath, "vocab.json");
  llvm::sys::path::append(mergesPath, "merges.txt");
  return loadHF(vocabPath, mergesPath);
}

//===----------------------------------------------------------------------===//
// Encoding
//===----------------------------------------------------------------------===//

std::vector<std::string> ClipTokenizer::bpe(llvm::StringRef piece) const {
  std::vector<std::string> word;
  for (unsigned char b : piece)
    word.push_back(byteSymbols[b]);
  if (word.empty())
    return word;
  word.back() += "</w>";
  while (word.size() > 1) {
    unsigned best = std::numeric_limits<unsigned>::max();
    size_t bestAt = 0;
    for (size_t i = 0; i + 1 < word.size(); ++i) {
      auto it = ranks.find(word[i] + " " + word[i + 1]);
      if (it != ranks.end() && it->second < best) {
        best = it->second;
        bestAt = i;
      }
    }
    if (best == std::numeric_limits<unsigned>::max())
      break;
    std::string first = word[bestAt], second = word[bestAt + 1];
    std::vector<std::string> merged;
    for (size_t i = 0; i < word.size();) {
      if (i + 1 < word.size() && word[i] == first && word[i + 1] == second) {
        merged.push_back(first + second);
        i += 2;
      } else {
        merged.push_back(word[i++]);
      }
    }
    word = std::move(merged);
  }
  return word;
}

llvm::Expected<std::vector<int64_t>>
ClipTokenizer::encode(llvm::StringRef text) const {
  llvm::Expected<std::string> cleaned = cleanClipText(text);
  if (!cleaned)
    return cleaned.takeError();
  std::vector<int64_t> ids;
  for (const std::string &piece : clipPreTokenize(*cleaned)) {
    if (piece == "<|startoftext|>" || piece == "<|endoftext|>") {
      ids.push_back(vocab.lookup(piece));
      continue;
    }
    for (const std::string &symbol : bpe(piece)) {
      auto it = vocab.find(symbol);
      if (it == vocab.end())
        return makeStringError("the BPE symbol '" + symbol +
                               "' is not in the tokenizer's vocabulary");
      ids.push_back(it->second);
    }
  }
  return ids;
}

llvm::Expected<std::vector<int64_t>>
ClipTokenizer::tokenize(llvm::StringRef text, unsigned length,
                        int64_t padId) const {
  if (length < 2)
    return makeStringError("a token sequence holds at least BOS and EOS");
  llvm::Expected<std::vector<int64_t>> body = encode(text);
  if (!body)
    return body.takeError();
  std::vector<int64_t> ids;
  ids.reserve(length);
  ids.push_back(vocab.lookup("<|startoftext|>"));
  size_t n = std::min<size_t>(body->size(), length - 2);
  ids.insert(ids.end(), body->begin(), body->begin() + n);
  ids.push_back(vocab.lookup("<|endoftext|>"));
  ids.resize(length, padId);
  return ids;
}
