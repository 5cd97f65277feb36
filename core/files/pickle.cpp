#include "files/pickle.h"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "files/error.h"
#include "files/file_source.h"
#include "files/python_objects.h"

namespace musetalk::files {
namespace {

// Opcode bytes, as named in CPython's Lib/pickletools.py.
enum Op : uint8_t {
  MARK = '(',
  STOP = '.',
  POP = '0',
  POP_MARK = '1',
  DUP = '2',
  FLOAT = 'F',
  INT = 'I',
  BININT = 'J',
  BININT1 = 'K',
  LONG = 'L',
  BININT2 = 'M',
  NONE = 'N',
  PERSID = 'P',
  BINPERSID = 'Q',
  REDUCE = 'R',
  STRING = 'S',
  BINSTRING = 'T',
  SHORT_BINSTRING = 'U',
  UNICODE = 'V',
  BINUNICODE = 'X',
  APPEND = 'a',
  BUILD = 'b',
  GLOBAL = 'c',
  DICT = 'd',
  EMPTY_DICT = '}',
  APPENDS = 'e',
  GET = 'g',
  BINGET = 'h',
  INST = 'i',
  LONG_BINGET = 'j',
  LIST = 'l',
  EMPTY_LIST = ']',
  OBJ = 'o',
  PUT = 'p',
  BINPUT = 'q',
  LONG_BINPUT = 'r',
  SETITEM = 's',
  TUPLE = 't',
  EMPTY_TUPLE = ')',
  SETITEMS = 'u',
  BINFLOAT = 'G',
  PROTO = 0x80,
  NEWOBJ = 0x81,
  EXT1 = 0x82,
  EXT2 = 0x83,
  EXT4 = 0x84,
  TUPLE1 = 0x85,
  TUPLE2 = 0x86,
  TUPLE3 = 0x87,
  NEWTRUE = 0x88,
  NEWFALSE = 0x89,
  LONG1 = 0x8a,
  LONG4 = 0x8b,
  BINBYTES = 'B',
  SHORT_BINBYTES = 'C',
  SHORT_BINUNICODE = 0x8c,
  BINUNICODE8 = 0x8d,
  BINBYTES8 = 0x8e,
  EMPTY_SET = 0x8f,
  ADDITEMS = 0x90,
  FROZENSET = 0x91,
  NEWOBJ_EX = 0x92,
  STACK_GLOBAL = 0x93,
  MEMOIZE = 0x94,
  FRAME = 0x95,
  BYTEARRAY8 = 0x96,
  NEXT_BUFFER = 0x97,
  READONLY_BUFFER = 0x98,
};

class Machine {
 public:
  Machine(ByteReader& in, PickleDocument& doc, const PersistentLoad& persistent_load)
      : in_(in), doc_(doc), persistent_load_(persistent_load) {}

  Value* run() {
    for (;;) {
      op_at_ = in_.position();
      uint8_t op = in_.u8();
      if (op == STOP) {
        Value* result = pop();
        if (!stack_.empty() || !marks_.empty()) fail("values left on the stack at STOP");
        doc_.set_root(result);
        return result;
      }
      step(op);
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError("pickle opcode at byte " + std::to_string(op_at_) + ": " + what);
  }

  void push(Value* v) { stack_.push_back(v); }

  Value* pop() {
    if (stack_.size() <= floor()) fail("stack underflow");
    Value* v = stack_.back();
    stack_.pop_back();
    return v;
  }

  Value* top() {
    if (stack_.size() <= floor()) fail("stack underflow");
    return stack_.back();
  }

  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }

  // Pops everything above the last MARK.
  std::vector<Value*> pop_mark() {
    if (marks_.empty()) fail("no MARK to pop to");
    size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<Value*> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }

  Value* make(ValueKind k) { return doc_.make(k); }

  Value* make_int(int64_t i) {
    Value* v = make(ValueKind::Int);
    v->integer = i;
    return v;
  }

  Value* make_text(ValueKind k, std::string s) {
    Value* v = make(k);
    v->text = std::move(s);
    return v;
  }

  Value* make_tuple(std::vector<Value*> items) {
    Value* v = make(ValueKind::Tuple);
    v->items = std::move(items);
    return v;
  }

  Value* make_global(std::string module, std::string name) {
    Value* v = make(ValueKind::Global);
    v->module = std::move(module);
    v->name = std::move(name);
    return v;
  }

  // Little-endian two's complement of n bytes (LONG1/LONG4).
  Value* make_long(const uint8_t* p, size_t n) {
    if (n > 8)
      return make_text(ValueKind::BigInt, std::string(reinterpret_cast<const char*>(p), n));
    uint64_t u = 0;
    for (size_t i = 0; i < n; ++i) u |= static_cast<uint64_t>(p[i]) << (8 * i);
    if (n > 0 && n < 8 && (p[n - 1] & 0x80)) u |= ~uint64_t{0} << (8 * n);  // sign-extend
    return make_int(static_cast<int64_t>(u));
  }

  size_t length(uint64_t n) {
    if (n > in_.remaining()) fail("length " + std::to_string(n) + " runs past the end of the data");
    return static_cast<size_t>(n);
  }

  void memo_put(uint64_t index) { memo_[index] = top(); }

  Value* memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo entry " + std::to_string(index) + " was never stored");
    return it->second;
  }

  Value* as_list_target(Value* v, const char* op) {
    if (v->kind != ValueKind::List) fail(std::string(op) + " on " + v->describe());
    return v;
  }

  void set_items(Value* dict, const std::vector<Value*>& kv) {
    if (dict->kind != ValueKind::Dict) fail("SETITEM(S) on " + dict->describe());
    if (kv.size() % 2 != 0) fail("SETITEMS with an odd number of values");
    for (size_t i = 0; i < kv.size(); i += 2) {
      bool replaced = false;
      if (kv[i]->kind == ValueKind::String) {
        for (auto& [k, v] : dict->entries) {
          if (k->kind == ValueKind::String && k->text == kv[i]->text) {
            v = kv[i + 1];
            replaced = true;
            break;
          }
        }
      }
      if (!replaced) dict->entries.emplace_back(kv[i], kv[i + 1]);
    }
  }

  Value* call(Value* callable, Value* args) {
    if (callable->kind != ValueKind::Global) fail("call of " + callable->describe());
    if (args->kind != ValueKind::Tuple) fail("call arguments are " + args->describe());
    return construct_python_object(doc_, *callable, *args);
  }

  std::string text_decimal_line() {
    std::string s = in_.line();
    if (s.empty()) fail("empty number");
    return s;
  }

  // Python's float text ("-1.5", "1e-05", "inf", "nan") with '.' as the decimal point whatever
  // the process locale (std::from_chars, unlike strtod, ignores LC_NUMERIC).
  double float_text(const std::string& s) {
    const char* first = s.data() + (s[0] == '+' ? 1 : 0);
    const char* last = s.data() + s.size();
    double d = 0;
    const std::from_chars_result r = std::from_chars(first, last, d);
    if (r.ec == std::errc::result_out_of_range) fail("FLOAT " + s + " is out of range");
    if (r.ec != std::errc() || r.ptr != last) fail("bad FLOAT text");
    return d;
  }

  void step(uint8_t op) {
    switch (op) {
      case PROTO: {
        uint8_t proto = in_.u8();
        if (proto > 5) fail("pickle protocol " + std::to_string(proto) + " is newer than 5");
        break;
      }
      case FRAME:
        in_.u64();
        break;  // frames are only a read-ahead hint
      case MARK:
        marks_.push_back(stack_.size());
        break;
      case POP:
        pop();
        break;
      case POP_MARK:
        pop_mark();
        break;
      case DUP:
        push(top());
        break;

      case NONE:
        push(make(ValueKind::None));
        break;
      case NEWTRUE:
      case NEWFALSE: {
        Value* v = make(ValueKind::Bool);
        v->boolean = op == NEWTRUE;
        push(v);
        break;
      }
      case BININT:
        push(make_int(in_.i32()));
        break;
      case BININT1:
        push(make_int(in_.u8()));
        break;
      case BININT2:
        push(make_int(in_.u16()));
        break;
      case LONG1: {
        size_t n = in_.u8();
        push(make_long(in_.take(n), n));
        break;
      }
      case LONG4: {
        int32_t n = in_.i32();
        if (n < 0) fail("negative LONG4 length");
        size_t len = length(static_cast<uint64_t>(n));
        push(make_long(in_.take(len), len));
        break;
      }
      case INT: {  // protocol 0: "I01\n" and "I00\n" are True and False
        std::string s = text_decimal_line();
        if (s == "01" || s == "00") {
          Value* v = make(ValueKind::Bool);
          v->boolean = s == "01";
          push(v);
        } else {
          char* end = nullptr;
          long long i = std::strtoll(s.c_str(), &end, 10);
          if (*end != '\0') fail("bad INT text");
          push(make_int(i));
        }
        break;
      }
      case LONG: {
        std::string s = text_decimal_line();
        if (s.back() == 'L') s.pop_back();
        char* end = nullptr;
        long long i = std::strtoll(s.c_str(), &end, 10);
        if (s.empty() || *end != '\0') fail("bad LONG text");
        push(make_int(i));
        break;
      }
      case BINFLOAT: {  // big-endian IEEE double
        const uint8_t* p = in_.take(8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | p[i];
        Value* v = make(ValueKind::Float);
        std::memcpy(&v->real, &bits, 8);
        push(v);
        break;
      }
      case FLOAT: {  // protocol 0: repr() of the float, "0.18215\n"
        Value* v = make(ValueKind::Float);
        v->real = float_text(text_decimal_line());
        push(v);
        break;
      }

      case BINUNICODE:
        push(make_text(ValueKind::String, in_.string(length(in_.u32()))));
        break;
      case SHORT_BINUNICODE:
        push(make_text(ValueKind::String, in_.string(in_.u8())));
        break;
      case BINUNICODE8:
        push(make_text(ValueKind::String, in_.string(length(in_.u64()))));
        break;
      case BINBYTES:
        push(make_text(ValueKind::Bytes, in_.string(length(in_.u32()))));
        break;
      case SHORT_BINBYTES:
        push(make_text(ValueKind::Bytes, in_.string(in_.u8())));
        break;
      case BINBYTES8:
      case BYTEARRAY8:
        push(make_text(ValueKind::Bytes, in_.string(length(in_.u64()))));
        break;
      // Python 2 str: bytes that are usually text; keep them as a string.
      case BINSTRING: {
        int32_t n = in_.i32();
        if (n < 0) fail("negative BINSTRING length");
        push(make_text(ValueKind::String, in_.string(length(static_cast<uint64_t>(n)))));
        break;
      }
      case SHORT_BINSTRING:
        push(make_text(ValueKind::String, in_.string(in_.u8())));
        break;
      case STRING: {
        std::string s = in_.line();
        if (s.size() < 2 || (s.front() != '\'' && s.front() != '"') || s.back() != s.front()) {
          fail("bad STRING quoting");
        }
        push(make_text(ValueKind::String, s.substr(1, s.size() - 2)));
        break;
      }
      case UNICODE:
        push(make_text(ValueKind::String, in_.line()));
        break;

      case EMPTY_TUPLE:
        push(make_tuple({}));
        break;
      case TUPLE:
        push(make_tuple(pop_mark()));
        break;
      case TUPLE1: {
        Value* a = pop();
        push(make_tuple({a}));
        break;
      }
      case TUPLE2: {
        Value* b = pop();
        Value* a = pop();
        push(make_tuple({a, b}));
        break;
      }
      case TUPLE3: {
        Value* c = pop();
        Value* b = pop();
        Value* a = pop();
        push(make_tuple({a, b, c}));
        break;
      }
      case EMPTY_LIST:
        push(make(ValueKind::List));
        break;
      case LIST: {
        Value* v = make(ValueKind::List);
        v->items = pop_mark();
        push(v);
        break;
      }
      case APPEND: {
        Value* item = pop();
        as_list_target(top(), "APPEND")->items.push_back(item);
        break;
      }
      case APPENDS: {
        std::vector<Value*> items = pop_mark();
        Value* list = as_list_target(top(), "APPENDS");
        list->items.insert(list->items.end(), items.begin(), items.end());
        break;
      }
      case EMPTY_DICT:
        push(make(ValueKind::Dict));
        break;
      case DICT: {
        std::vector<Value*> kv = pop_mark();
        Value* d = make(ValueKind::Dict);
        set_items(d, kv);
        push(d);
        break;
      }
      case SETITEM: {
        Value* v = pop();
        Value* k = pop();
        set_items(top(), {k, v});
        break;
      }
      case SETITEMS: {
        std::vector<Value*> kv = pop_mark();
        set_items(top(), kv);
        break;
      }
      case EMPTY_SET:
        push(make(ValueKind::Set));
        break;
      case ADDITEMS: {
        std::vector<Value*> items = pop_mark();
        Value* set = top();
        if (set->kind != ValueKind::Set) fail("ADDITEMS on " + set->describe());
        set->items.insert(set->items.end(), items.begin(), items.end());
        break;
      }
      case FROZENSET: {
        Value* v = make(ValueKind::Set);
        v->items = pop_mark();
        push(v);
        break;
      }

      case BINPUT:
        memo_put(in_.u8());
        break;
      case LONG_BINPUT:
        memo_put(in_.u32());
        break;
      case MEMOIZE:
        memo_put(memo_.size());
        break;
      case PUT:
        memo_put(std::strtoull(text_decimal_line().c_str(), nullptr, 10));
        break;
      case BINGET:
        push(memo_get(in_.u8()));
        break;
      case LONG_BINGET:
        push(memo_get(in_.u32()));
        break;
      case GET:
        push(memo_get(std::strtoull(text_decimal_line().c_str(), nullptr, 10)));
        break;

      case GLOBAL: {
        std::string module = in_.line();
        std::string name = in_.line();
        push(make_global(std::move(module), std::move(name)));
        break;
      }
      case STACK_GLOBAL: {
        Value* name = pop();
        Value* module = pop();
        if (module->kind != ValueKind::String || name->kind != ValueKind::String) {
          fail("STACK_GLOBAL needs two strings");
        }
        push(make_global(module->text, name->text));
        break;
      }
      case REDUCE: {
        Value* args = pop();
        Value* callable = pop();
        push(call(callable, args));
        break;
      }
      case NEWOBJ: {
        Value* args = pop();
        Value* cls = pop();
        push(call(cls, args));
        break;
      }
      case NEWOBJ_EX: {
        pop();  // keyword arguments: none of the modelled classes take any
        Value* args = pop();
        Value* cls = pop();
        push(call(cls, args));
        break;
      }
      case INST: {
        std::string module = in_.line();
        std::string name = in_.line();
        Value* cls = make_global(std::move(module), std::move(name));
        push(call(cls, make_tuple(pop_mark())));
        break;
      }
      case OBJ: {
        std::vector<Value*> items = pop_mark();
        if (items.empty()) fail("OBJ without a class");
        Value* cls = items.front();
        items.erase(items.begin());
        push(call(cls, make_tuple(std::move(items))));
        break;
      }
      case BUILD: {
        Value* state = pop();
        apply_python_state(doc_, *top(), *state);
        break;
      }
      case BINPERSID:
      case PERSID: {
        Value* pid = op == BINPERSID ? pop() : make_text(ValueKind::String, in_.line());
        if (!persistent_load_) fail("persistent id in a plain pickle");
        push(persistent_load_(doc_, *pid));
        break;
      }
      case EXT1:
      case EXT2:
      case EXT4:
        fail("extension registry opcodes are not supported");
      case NEXT_BUFFER:
      case READONLY_BUFFER:
        fail("out-of-band buffers (protocol 5) are not supported");
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "0x%02x", op);
        fail(std::string("unknown opcode ") + buf);
      }
    }
  }

  ByteReader& in_;
  PickleDocument& doc_;
  const PersistentLoad& persistent_load_;
  std::vector<Value*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Value*> memo_;
  size_t op_at_ = 0;
};

}  // namespace

Value* load_pickle(ByteReader& in, PickleDocument& doc, const PersistentLoad& persistent_load) {
  return Machine(in, doc, persistent_load).run();
}

PickleDocument read_pickle_file(const std::string& path) {
  std::vector<uint8_t> bytes = read_whole_file(path);
  PickleDocument doc;
  try {
    ByteReader in(bytes.data(), bytes.size());
    load_pickle(in, doc);
    if (!in.at_end()) {
      throw FormatError(std::to_string(in.remaining()) + " unexpected bytes after the pickle");
    }
  } catch (const FormatError& e) {
    throw Error(path, std::string("not a readable pickle file: ") + e.what(),
                "the file is damaged or was not written by Python's pickle");
  }
  return doc;
}

}  // namespace musetalk::files
