// safetensors: u64 header length, a JSON header {name: {dtype, shape, data_offsets}}, then the
// data; offsets are relative to the end of the header.
#include "files/byte_reader.h"
#include "files/checkpoint.h"
#include "files/error.h"
#include "files/file_source.h"
#include "files/json_file.h"

namespace musetalk::files {
namespace {

constexpr uint64_t kMaxHeader = 100u << 20;

DType parse_dtype(const std::string& s) {
  static const std::pair<const char*, DType> kTypes[] = {
      {"F32", DType::Float32}, {"F16", DType::Float16}, {"BF16", DType::BFloat16},
      {"F64", DType::Float64}, {"I64", DType::Int64},   {"I32", DType::Int32},
      {"I16", DType::Int16},   {"I8", DType::Int8},     {"U8", DType::UInt8},
      {"BOOL", DType::Bool},
  };
  for (const auto& [name, t] : kTypes) {
    if (s == name) return t;
  }
  throw FormatError("unsupported safetensors dtype " + s);
}

}  // namespace

void read_safetensors(const std::string& path, const ReadOptions& options, Checkpoint& out) {
  FileSource file(path);
  std::vector<uint8_t> len_bytes = file.read(0, 8);
  uint64_t header_len = load_u64(len_bytes.data());
  if (header_len > kMaxHeader) throw FormatError("safetensors header is implausibly large");
  std::vector<uint8_t> header_bytes = file.read(8, header_len);
  const nlohmann::ordered_json header = parse_json(
      std::string_view(reinterpret_cast<const char*>(header_bytes.data()), header_bytes.size()));
  if (!header.is_object()) throw FormatError("safetensors header is not a JSON object");
  const uint64_t data_start = 8 + header_len;
  const uint64_t data_size = file.size() - data_start;

  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      if (!info.is_object()) continue;
      for (const auto& [key, value] : info.items()) {
        if (value.is_string()) out.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    auto storage = std::make_shared<StorageData>();
    storage->dtype = parse_dtype(json_get<std::string>(info, "dtype"));
    storage->key = name;
    storage->location = "cpu";
    TensorData t;
    t.storage = storage;
    t.dtype = storage->dtype;
    for (const auto& d : json_array(json_at(info, "shape"))) t.sizes.push_back(json_as<int64_t>(d));
    if (t.sizes.size() > 16) throw FormatError(name + " has more than 16 dimensions");
    t.strides = contiguous_strides(t.sizes);
    const auto& offsets = json_array(json_at(info, "data_offsets"));
    if (offsets.size() != 2) throw FormatError(name + ": data_offsets needs two numbers");
    int64_t begin = json_as<int64_t>(offsets[0]), end = json_as<int64_t>(offsets[1]);
    if (begin < 0 || end < begin || static_cast<uint64_t>(end) > data_size) {
      throw FormatError(name + ": data_offsets lie outside the file (truncated?)");
    }
    const uint64_t nbytes = static_cast<uint64_t>(end - begin);
    const size_t esize = element_size(t.dtype);
    storage->numel = nbytes / esize;
    if (t.numel() != 0) t.check_bounds();  // rejects negative and overflowing shapes
    if (nbytes % esize != 0 || t.numel() != storage->numel) {
      throw FormatError(name + ": shape " + shape_string(t.sizes) + " does not match its " +
                        std::to_string(nbytes) + " bytes");
    }
    storage->file_offset = data_start + static_cast<uint64_t>(begin);
    if (options.load_data) storage->buffer = file.read_shared(storage->file_offset, nbytes);
    out.tensors.emplace_back(name, std::move(t));
  }
}

}  // namespace musetalk::files
