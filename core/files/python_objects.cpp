#include "files/python_objects.h"

#include <algorithm>
#include <cstring>

#include "files/error.h"

namespace musetalk::files {
namespace {

bool is_numpy_module(const std::string& m) {
  // numpy 1.x pickles "numpy.core.multiarray", numpy 2.x "numpy._core.multiarray".
  return m == "numpy.core.multiarray" || m == "numpy._core.multiarray";
}

const Value& arg(const Value& args, size_t i, const char* what) {
  if (i >= args.items.size()) {
    throw FormatError(std::string(what) + " needs at least " + std::to_string(i + 1) +
                      " arguments, got " + std::to_string(args.items.size()));
  }
  return *args.items[i];
}

int64_t int_arg(const Value& v, const char* what) {
  if (v.kind != ValueKind::Int) throw FormatError(std::string(what) + " is " + v.describe());
  return v.integer;
}

std::vector<int64_t> int_tuple(const Value& v, const char* what) {
  if (v.kind != ValueKind::Tuple && v.kind != ValueKind::List) {
    throw FormatError(std::string(what) + " is " + v.describe() + ", expected a tuple");
  }
  std::vector<int64_t> out;
  out.reserve(v.items.size());
  for (const Value* item : v.items) out.push_back(int_arg(*item, what));
  return out;
}

// torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, ...)
Value* rebuild_tensor(PickleDocument& doc, const Value& args) {
  const Value& storage = arg(args, 0, "_rebuild_tensor");
  if (storage.kind != ValueKind::Storage) {
    throw FormatError("_rebuild_tensor storage argument is " + storage.describe());
  }
  int64_t offset = int_arg(arg(args, 1, "_rebuild_tensor"), "storage offset");
  Value* t = doc.make(ValueKind::Tensor);
  t->tensor.storage = storage.tensor.storage;
  t->tensor.dtype = storage.tensor.dtype;
  if (offset < 0) throw FormatError("negative storage offset");
  t->tensor.storage_offset = storage.tensor.storage_offset + static_cast<uint64_t>(offset);
  t->tensor.sizes = int_tuple(arg(args, 2, "_rebuild_tensor"), "tensor size");
  t->tensor.strides = int_tuple(arg(args, 3, "_rebuild_tensor"), "tensor stride");
  if (t->tensor.sizes.size() > 16) throw FormatError("tensor with more than 16 dimensions");
  t->tensor.check_bounds();
  return t;
}

struct NumpyType {
  DType dtype;
  bool big_endian;
};

std::optional<DType> numpy_dtype_code(const std::string& code) {
  static const std::pair<const char*, DType> kCodes[] = {
      {"f2", DType::Float16}, {"f4", DType::Float32}, {"f8", DType::Float64},
      {"i1", DType::Int8},    {"i2", DType::Int16},   {"i4", DType::Int32},
      {"i8", DType::Int64},   {"u1", DType::UInt8},   {"b1", DType::Bool},
  };
  for (const auto& [c, t] : kCodes) {
    if (code == c) return t;
  }
  return std::nullopt;
}

// A numpy.dtype Object: args ("f4", align, copy), BUILD state (3, "<", ...).
std::optional<NumpyType> numpy_type(const Value& dtype) {
  if (dtype.kind != ValueKind::Object || dtype.module != "numpy" || dtype.name != "dtype") {
    return std::nullopt;
  }
  if (dtype.items.empty() || dtype.items[0]->kind != ValueKind::String) return std::nullopt;
  auto t = numpy_dtype_code(dtype.items[0]->text);
  if (!t) return std::nullopt;
  bool big = false;
  if (dtype.state && dtype.state->kind == ValueKind::Tuple && dtype.state->items.size() > 1 &&
      dtype.state->items[1]->kind == ValueKind::String) {
    big = dtype.state->items[1]->text == ">";
  }
  return NumpyType{*t, big};
}

void to_little_endian(std::string& bytes, size_t esize) {
  for (size_t i = 0; i + esize <= bytes.size(); i += esize) {
    std::reverse(bytes.begin() + static_cast<std::ptrdiff_t>(i),
                 bytes.begin() + static_cast<std::ptrdiff_t>(i + esize));
  }
}

// numpy.core.multiarray.scalar(dtype, raw bytes) -> a plain int, float or bool.
Value* numpy_scalar(PickleDocument& doc, const Value& callable, const Value& args) {
  const Value& dtype = arg(args, 0, "numpy scalar");
  const Value& data = arg(args, 1, "numpy scalar");
  auto t = numpy_type(dtype);
  if (!t || data.kind != ValueKind::Bytes) {
    Value* opaque = doc.make(ValueKind::Object);
    opaque->module = callable.module;
    opaque->name = callable.name;
    opaque->items = args.items;
    return opaque;
  }
  size_t esize = element_size(t->dtype);
  if (data.text.size() != esize) {
    throw FormatError("numpy scalar of " + std::string(dtype_name(t->dtype)) + " has " +
                      std::to_string(data.text.size()) + " bytes");
  }
  std::string raw = data.text;
  if (t->big_endian) to_little_endian(raw, esize);
  uint8_t b[8] = {};
  std::memcpy(b, raw.data(), esize);
  Value* v = doc.make(ValueKind::Int);
  switch (t->dtype) {
    case DType::Bool:
      v->kind = ValueKind::Bool;
      v->boolean = b[0] != 0;
      break;
    case DType::UInt8:
      v->integer = b[0];
      break;
    case DType::Int8:
      v->integer = static_cast<int8_t>(b[0]);
      break;
    case DType::Int16:
      v->integer = static_cast<int16_t>(b[0] | (b[1] << 8));
      break;
    case DType::Int32: {
      int32_t i;
      std::memcpy(&i, b, 4);
      v->integer = i;
      break;
    }
    case DType::Int64:
      std::memcpy(&v->integer, b, 8);
      break;
    case DType::Float16:
      v->kind = ValueKind::Float;
      v->real = half_to_float(static_cast<uint16_t>(b[0] | (b[1] << 8)));
      break;
    case DType::Float32: {
      float f;
      std::memcpy(&f, b, 4);
      v->kind = ValueKind::Float;
      v->real = f;
      break;
    }
    case DType::Float64:
      v->kind = ValueKind::Float;
      std::memcpy(&v->real, b, 8);
      break;
    case DType::BFloat16:
      break;  // numpy has no bfloat16
  }
  return v;
}

// ndarray BUILD state: (version, shape, dtype, is_fortran, raw bytes).
void build_numpy_array(Value& obj, Value& state) {
  if (state.kind != ValueKind::Tuple || state.items.size() < 5) {
    obj.state = &state;
    return;
  }
  auto t = numpy_type(*state.items[2]);
  const Value& data = *state.items[4];
  if (!t || data.kind != ValueKind::Bytes) {  // object arrays and exotic dtypes stay opaque
    obj.state = &state;
    return;
  }
  std::vector<int64_t> shape = int_tuple(*state.items[1], "numpy array shape");
  bool fortran = state.items[3]->kind == ValueKind::Bool && state.items[3]->boolean;
  auto storage = std::make_shared<StorageData>();
  storage->dtype = t->dtype;
  storage->key = "numpy";
  storage->location = "cpu";
  size_t esize = element_size(t->dtype);
  if (data.text.size() % esize != 0) throw FormatError("numpy array data has a partial element");
  storage->numel = data.text.size() / esize;
  std::string raw = data.text;
  if (t->big_endian) to_little_endian(raw, esize);
  storage->buffer = std::make_shared<const std::vector<uint8_t>>(raw.begin(), raw.end());

  TensorData tensor;
  tensor.storage = storage;
  tensor.dtype = t->dtype;
  tensor.sizes = shape;
  tensor.strides = contiguous_strides(shape);
  if (fortran) {  // column-major: strides grow from the first dimension
    int64_t s = 1;
    for (size_t i = 0; i < shape.size(); ++i) {
      tensor.strides[i] = s;
      s *= shape[i] > 0 ? shape[i] : 1;
    }
  }
  if (tensor.numel() != storage->numel) {
    throw FormatError("numpy array " + shape_string(shape) + " has " +
                      std::to_string(storage->numel) + " elements of data");
  }
  tensor.check_bounds();
  obj = Value{};
  obj.kind = ValueKind::Tensor;
  obj.from_numpy = true;
  obj.tensor = std::move(tensor);
}

// _codecs.encode(text, "latin1"): how protocol 2 stores Python 3 bytes. Each code point of the
// UTF-8 text is one byte.
Value* latin1_bytes(PickleDocument& doc, const Value& args) {
  const Value& text = arg(args, 0, "_codecs.encode");
  if (text.kind != ValueKind::String) throw FormatError("_codecs.encode of " + text.describe());
  std::string out;
  const std::string& s = text.text;
  for (size_t i = 0; i < s.size();) {
    uint8_t c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
      i += 1;
    } else if ((c & 0xE0) == 0xC0 && i + 1 < s.size()) {
      uint32_t cp = ((c & 0x1Fu) << 6) | (static_cast<uint8_t>(s[i + 1]) & 0x3Fu);
      if (cp > 0xFF) throw FormatError("_codecs.encode: character outside latin-1");
      out += static_cast<char>(cp);
      i += 2;
    } else {
      throw FormatError("_codecs.encode: text is not latin-1");
    }
  }
  Value* v = doc.make(ValueKind::Bytes);
  v->text = std::move(out);
  return v;
}

Value* ordered_dict(PickleDocument& doc, const Value& args) {
  Value* d = doc.make(ValueKind::Dict);
  if (!args.items.empty()) {  // OrderedDict([(key, value), ...])
    const Value& pairs = *args.items[0];
    if (pairs.kind != ValueKind::List && pairs.kind != ValueKind::Tuple) {
      throw FormatError("OrderedDict argument is " + pairs.describe());
    }
    for (Value* p : pairs.items) {
      if ((p->kind != ValueKind::List && p->kind != ValueKind::Tuple) || p->items.size() != 2) {
        throw FormatError("OrderedDict item is not a pair");
      }
      d->entries.emplace_back(p->items[0], p->items[1]);
    }
  }
  return d;
}

}  // namespace

std::optional<DType> torch_storage_dtype(const Value& cls) {
  if (cls.kind != ValueKind::Global || (cls.module != "torch" && cls.module != "torch.cuda")) {
    return std::nullopt;
  }
  static const std::pair<const char*, DType> kStorages[] = {
      {"FloatStorage", DType::Float32},     {"HalfStorage", DType::Float16},
      {"BFloat16Storage", DType::BFloat16}, {"DoubleStorage", DType::Float64},
      {"LongStorage", DType::Int64},        {"IntStorage", DType::Int32},
      {"ShortStorage", DType::Int16},       {"CharStorage", DType::Int8},
      {"ByteStorage", DType::UInt8},        {"BoolStorage", DType::Bool},
      {"UntypedStorage", DType::UInt8},
  };
  for (const auto& [name, t] : kStorages) {
    if (cls.name == name) return t;
  }
  return std::nullopt;
}

Value* construct_python_object(PickleDocument& doc, const Value& callable, const Value& args) {
  const std::string& m = callable.module;
  const std::string& n = callable.name;
  if (m == "collections" && n == "OrderedDict") return ordered_dict(doc, args);
  if (m == "torch._utils" && (n == "_rebuild_tensor_v2" || n == "_rebuild_tensor")) {
    return rebuild_tensor(doc, args);
  }
  if (m == "torch._utils" && (n == "_rebuild_parameter" || n == "_rebuild_parameter_with_state")) {
    Value* data = args.items.empty() ? nullptr : args.items[0];
    if (data == nullptr || data->kind != ValueKind::Tensor) {
      throw FormatError("_rebuild_parameter without a tensor");
    }
    return data;
  }
  if (m == "torch" && n == "Size" && !args.items.empty()) {
    Value* t = doc.make(ValueKind::Tuple);
    t->items = args.items[0]->items;
    return t;
  }
  if (is_numpy_module(m) && n == "scalar") return numpy_scalar(doc, callable, args);
  if (m == "_codecs" && n == "encode") return latin1_bytes(doc, args);
  if (m == "builtins" && (n == "set" || n == "frozenset")) {
    Value* s = doc.make(ValueKind::Set);
    if (!args.items.empty()) s->items = args.items[0]->items;
    return s;
  }
  // numpy.dtype, numpy.core.multiarray._reconstruct (an ndarray awaiting BUILD) and every
  // class this reader does not know: an Object that keeps its class and arguments.
  Value* obj = doc.make(ValueKind::Object);
  obj->module = m;
  obj->name = n;
  obj->items = args.items;
  if (is_numpy_module(m) && n == "_reconstruct") {
    obj->module = "numpy";
    obj->name = "ndarray";
  }
  return obj;
}

void apply_python_state(PickleDocument&, Value& obj, Value& state) {
  switch (obj.kind) {
    case ValueKind::Object:
      if (obj.module == "numpy" && obj.name == "ndarray") {
        build_numpy_array(obj, state);
      } else {
        obj.state = &state;
      }
      return;
    case ValueKind::Dict:  // attributes such as a state dict's _metadata
    case ValueKind::Tensor:
    case ValueKind::List:
    case ValueKind::Set:
      obj.state = &state;
      return;
    default:
      throw FormatError("BUILD on " + obj.describe());
  }
}

}  // namespace musetalk::files
