#pragma once
// The value tree a pickle decodes to. Nodes live in the owning PickleDocument's arena and point
// at each other with plain pointers, so shared and even cyclic references (which a damaged file
// can produce) never leak.

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "files/tensor_data.h"

namespace musetalk::files {

enum class ValueKind {
  None,
  Bool,
  Int,
  BigInt,  // integers wider than 64 bits: little-endian two's complement bytes in `text`
  Float,
  String,  // UTF-8 text
  Bytes,   // raw bytes in `text`
  List,
  Tuple,
  Set,
  Dict,
  Tensor,   // a torch tensor or a numpy array (`from_numpy`)
  Storage,  // a torch storage reference (persistent id), consumed by tensor rebuilds
  Global,   // a class or function reference: module + name
  Object,   // an instance of a class this reader does not model: class, args, state
};

struct Value {
  ValueKind kind = ValueKind::None;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0;
  std::string text;                                // String, Bytes, BigInt
  std::string module, name;                        // Global, Object (the class)
  std::vector<Value*> items;                       // List, Tuple, Set; Object: constructor args
  std::vector<std::pair<Value*, Value*>> entries;  // Dict (insertion order)
  Value* state = nullptr;                          // BUILD state (Dict: object attributes)
  TensorData tensor;                               // Tensor; Storage: storage + offset + numel
  bool from_numpy = false;

  bool is(ValueKind k) const { return kind == k; }
  bool is_global(const char* mod, const char* nm) const {
    return kind == ValueKind::Global && module == mod && name == nm;
  }
  // Dict lookup by string key; nullptr if absent or not a dict.
  const Value* get(const std::string& key) const;
  // A one-line description for error messages ("a dict", "torch.FloatStorage", ...).
  std::string describe() const;
};

class PickleDocument {
 public:
  PickleDocument() = default;
  PickleDocument(const PickleDocument&) = delete;
  PickleDocument& operator=(const PickleDocument&) = delete;
  PickleDocument(PickleDocument&&) = default;
  PickleDocument& operator=(PickleDocument&&) = default;

  Value* make(ValueKind kind);
  const Value& root() const { return *root_; }
  Value* mutable_root() { return root_; }
  void set_root(Value* v) { root_ = v; }

 private:
  std::deque<Value> arena_;
  Value* root_ = nullptr;
};

// Named tensors of a value tree: nested dicts joined with dots ("state_dict.conv.weight"), list
// and tuple elements by index ("0", "1", ...). Non-tensor leaves are skipped; numpy arrays are
// left out unless include_numpy. Duplicate names and over-deep nesting are FormatErrors.
std::vector<std::pair<std::string, TensorData>> flatten_tensors(const Value& root,
                                                                bool include_numpy = false);

}  // namespace musetalk::files
