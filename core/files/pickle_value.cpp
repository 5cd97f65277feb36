#include "files/pickle_value.h"

#include <set>

#include "files/error.h"

namespace musetalk::files {

const Value* Value::get(const std::string& key) const {
  if (kind != ValueKind::Dict) return nullptr;
  for (const auto& [k, v] : entries) {
    if (k->kind == ValueKind::String && k->text == key) return v;
  }
  return nullptr;
}

std::string Value::describe() const {
  switch (kind) {
    case ValueKind::None:
      return "None";
    case ValueKind::Bool:
      return "a bool";
    case ValueKind::Int:
    case ValueKind::BigInt:
      return "an int";
    case ValueKind::Float:
      return "a float";
    case ValueKind::String:
      return "a string";
    case ValueKind::Bytes:
      return "bytes";
    case ValueKind::List:
      return "a list";
    case ValueKind::Tuple:
      return "a tuple";
    case ValueKind::Set:
      return "a set";
    case ValueKind::Dict:
      return "a dict";
    case ValueKind::Tensor:
      return from_numpy ? "a numpy array" : "a tensor";
    case ValueKind::Storage:
      return "a storage";
    case ValueKind::Global:
      return module + "." + name;
    case ValueKind::Object:
      return "a " + module + "." + name + " object";
  }
  return "?";
}

Value* PickleDocument::make(ValueKind kind) {
  arena_.emplace_back();
  arena_.back().kind = kind;
  return &arena_.back();
}

namespace {

constexpr int kMaxDepth = 64;

struct Flattener {
  bool include_numpy;
  std::vector<std::pair<std::string, TensorData>> out;
  std::set<std::string> seen;

  static std::string join(const std::string& prefix, const std::string& name) {
    return prefix.empty() ? name : prefix + "." + name;
  }

  static bool key_name(const Value& key, std::string& name) {
    if (key.kind == ValueKind::String) {
      name = key.text;
      return true;
    }
    if (key.kind == ValueKind::Int) {
      name = std::to_string(key.integer);
      return true;
    }
    return false;
  }

  void visit(const Value& v, const std::string& prefix, int depth) {
    if (depth > kMaxDepth) throw FormatError("values nested deeper than 64 levels");
    switch (v.kind) {
      case ValueKind::Tensor:
        if (v.from_numpy && !include_numpy) return;
        if (!seen.insert(prefix).second) throw FormatError("two tensors named \"" + prefix + "\"");
        out.emplace_back(prefix, v.tensor);
        return;
      case ValueKind::Dict:
        for (const auto& [k, child] : v.entries) {
          std::string name;
          if (key_name(*k, name)) visit(*child, join(prefix, name), depth + 1);
        }
        return;
      case ValueKind::List:
      case ValueKind::Tuple:
        for (size_t i = 0; i < v.items.size(); ++i) {
          visit(*v.items[i], join(prefix, std::to_string(i)), depth + 1);
        }
        return;
      default:
        return;
    }
  }
};

}  // namespace

std::vector<std::pair<std::string, TensorData>> flatten_tensors(const Value& root,
                                                                bool include_numpy) {
  Flattener f{include_numpy, {}, {}};
  f.visit(root, "", 0);
  return std::move(f.out);
}

}  // namespace musetalk::files
