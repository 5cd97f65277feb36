// The pickle interpreter on hand-written opcode streams: each protocol's ways of spelling the
// values checkpoints and caches hold, and the malformed streams it must refuse.
#include <gtest/gtest.h>

#include <initializer_list>

#include "files/error.h"
#include "files/pickle.h"

namespace musetalk::files {
namespace {

// Builds an opcode stream from byte values and text pieces (no escape-sequence pitfalls).
class Stream {
 public:
  Stream& b(std::initializer_list<int> bytes) {
    for (int x : bytes) s_ += static_cast<char>(x);
    return *this;
  }
  Stream& t(const std::string& text) {
    s_ += text;
    return *this;
  }
  // BINUNICODE with its 4-byte length.
  Stream& u(const std::string& text) {
    b({'X', static_cast<int>(text.size()), 0, 0, 0});
    return t(text);
  }
  const std::string& str() const { return s_; }

 private:
  std::string s_;
};

struct Loaded {
  PickleDocument doc;
  const Value* root = nullptr;
};

Loaded load(const std::string& bytes) {
  Loaded out;
  ByteReader in(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  out.root = load_pickle(in, out.doc);
  return out;
}

TEST(Pickle, Protocol0TextOpcodes) {
  Loaded p = load(
      "(dp0\nVname\np1\nI42\nsVflag\np2\nI01\nsVpi\np3\nF3.5\nsVitems\np4\n"
      "(lp5\nI1\naL2L\nas.");
  ASSERT_TRUE(p.root->is(ValueKind::Dict));
  EXPECT_EQ(p.root->get("name")->integer, 42);
  EXPECT_TRUE(p.root->get("flag")->is(ValueKind::Bool));
  EXPECT_TRUE(p.root->get("flag")->boolean);
  EXPECT_DOUBLE_EQ(p.root->get("pi")->real, 3.5);
  ASSERT_EQ(p.root->get("items")->items.size(), 2u);
  EXPECT_EQ(p.root->get("items")->items[1]->integer, 2);
}

TEST(Pickle, Protocol2DictWithSetitemAndMemo) {
  Stream s;
  s.b({0x80, 2, '}', 'q', 0}).u("a").b({'K', 1, 's'}).u("b").b({'h', 0, 's', '.'});
  Loaded p = load(s.str());
  ASSERT_TRUE(p.root->is(ValueKind::Dict));
  EXPECT_EQ(p.root->get("a")->integer, 1);
  EXPECT_EQ(p.root->get("b"), p.root) << "BINGET returns the memoised object itself";
}

TEST(Pickle, Protocol4FrameMemoizeStackGlobalNewobjBuild) {
  Stream s;
  s.b({0x80, 4, 0x95, 32, 0, 0, 0, 0, 0, 0, 0});
  s.b({0x8c, 8}).t("mymodule").b({0x94, 0x8c, 5}).t("Thing").b({0x94, 0x93, 0x94});
  s.b({')', 0x81, 0x94, '}', 0x94, 0x8c, 1}).t("x").b({0x94, 'K', 7, 's', 'b', '.'});
  Loaded p = load(s.str());
  ASSERT_TRUE(p.root->is(ValueKind::Object)) << p.root->describe();
  EXPECT_EQ(p.root->module, "mymodule");
  EXPECT_EQ(p.root->name, "Thing");
  ASSERT_NE(p.root->state, nullptr);
  EXPECT_EQ(p.root->state->get("x")->integer, 7);
}

TEST(Pickle, IntegerEncodings) {
  Stream s;
  s.b({0x80, 2, '(', 'J', 0xfe, 0xff, 0xff, 0xff, 0x8a, 1, 0xff, 0x8a, 2, 0, 0x80});
  s.b({'M', 0xff, 0xff, 0x8a, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 't', '.'});
  Loaded p = load(s.str());
  ASSERT_EQ(p.root->items.size(), 5u);
  EXPECT_EQ(p.root->items[0]->integer, -2);
  EXPECT_EQ(p.root->items[1]->integer, -1);
  EXPECT_EQ(p.root->items[2]->integer, -32768);
  EXPECT_EQ(p.root->items[3]->integer, 65535);
  EXPECT_TRUE(p.root->items[4]->is(ValueKind::BigInt));
  EXPECT_EQ(p.root->items[4]->text.size(), 9u);
}

TEST(Pickle, SetsTuplesAndStackOps) {
  Stream s;
  s.b({0x80, 4, '('});
  s.b({0x8f, '(', 'K', 1, 'K', 2, 0x90});  // {1, 2}
  s.b({'(', 'K', 3, 0x91});                // frozenset({3})
  s.b({'K', 4, 'K', 5, 0x86});             // (4, 5)
  s.b({'K', 6, 0x85});                     // (6,)
  s.b({'K', 9, '2', '0'});                 // DUP then POP: a 9 stays
  s.b({'(', 'K', 8, '1'});                 // POP_MARK drops 8
  s.b({'t', '.'});
  Loaded p = load(s.str());
  ASSERT_TRUE(p.root->is(ValueKind::Tuple));
  ASSERT_EQ(p.root->items.size(), 5u);
  EXPECT_TRUE(p.root->items[0]->is(ValueKind::Set));
  EXPECT_EQ(p.root->items[0]->items.size(), 2u);
  EXPECT_TRUE(p.root->items[1]->is(ValueKind::Set));
  EXPECT_EQ(p.root->items[2]->items.size(), 2u);
  EXPECT_EQ(p.root->items[3]->items[0]->integer, 6);
  EXPECT_EQ(p.root->items[4]->integer, 9);
}

TEST(Pickle, BytesSpellings) {
  Stream a;
  a.b({0x80, 3, 'C', 3, 0, 0xff, 1, '.'});  // protocol 3 SHORT_BINBYTES
  Loaded pa = load(a.str());
  ASSERT_TRUE(pa.root->is(ValueKind::Bytes));
  EXPECT_EQ(pa.root->text, std::string("\x00\xff\x01", 3));

  Stream b;  // protocol 2 spells bytes as _codecs.encode("\u00e9", "latin1")
  b.b({0x80, 2}).t("c_codecs\nencode\n").u("\xc3\xa9").u("latin1").b({0x86, 'R', '.'});
  Loaded pb = load(b.str());
  ASSERT_TRUE(pb.root->is(ValueKind::Bytes));
  EXPECT_EQ(pb.root->text, "\xe9");
}

TEST(Pickle, UnknownGlobalsBecomeOpaqueObjects) {
  Stream s;
  s.b({0x80, 2, ']', 'q', 0}).t("cmmengine.logging.history\nHistoryBuffer\n");
  s.b({')', 'R', '}', 'b', 'a', '.'});
  Loaded p = load(s.str());
  ASSERT_EQ(p.root->items.size(), 1u);
  EXPECT_TRUE(p.root->items[0]->is(ValueKind::Object));
  EXPECT_EQ(p.root->items[0]->name, "HistoryBuffer");
  EXPECT_TRUE(p.root->items[0]->state->is(ValueKind::Dict));
}

TEST(Pickle, SelfReferenceCannotHangFlattening) {
  Stream s;
  s.b({0x80, 2, ']', 'q', 0, 'h', 0, 'a', '.'});
  Loaded p = load(s.str());
  ASSERT_EQ(p.root->items[0], p.root);
  EXPECT_THROW(flatten_tensors(*p.root), FormatError);
}

TEST(Pickle, MalformedStreamsAreFormatErrors) {
  const std::initializer_list<int> bad[] = {
      {0x80, 2},                                         // no STOP
      {0x80, 2, 'a', '.'},                               // APPEND on an empty stack
      {0x80, 2, 'h', 5, '.'},                            // memo entry never stored
      {0x80, 2, 'K', 1, 'K', 2, '.'},                    // two values left at STOP
      {0x80, 2, 'X', 0xff, 0xff, 0xff, 0x7f, 'a', '.'},  // string longer than the data
      {0x80, 2, 0xff, '.'},                              // unknown opcode
      {0x80, 9, 'N', '.'},                               // protocol from the future
      {0x80, 2, '(', 'K', 1, 'Q', '.'},                  // persistent id in a plain pickle
      {0x80, 2, 'K', 1, 'K', 2, 'K', 3, 's', '.'},       // SETITEM on an int
      {0x80, 5, 0x97, '.'},                              // out-of-band buffer
      {0x80, 2, ')', 'K', 1, 'a', '.'},                  // APPEND to a tuple
      {0x80, 2, 't', '.'},                               // TUPLE without a MARK
  };
  for (const auto& bytes : bad) {
    Stream s;
    s.b(bytes);
    EXPECT_THROW(load(s.str()), FormatError) << "stream of " << s.str().size() << " bytes";
  }
}

}  // namespace
}  // namespace musetalk::files
