#include "files/safetensors_writer.h"

#include "files/atomic_file.h"
#include "files/error.h"
#include "files/json_file.h"

namespace musetalk::files {
namespace {

const char* safetensors_dtype(DType t) {
  switch (t) {
    case DType::Float32:
      return "F32";
    case DType::Float16:
      return "F16";
    case DType::BFloat16:
      return "BF16";
    case DType::Float64:
      return "F64";
    case DType::Int64:
      return "I64";
    case DType::Int32:
      return "I32";
    case DType::Int16:
      return "I16";
    case DType::Int8:
      return "I8";
    case DType::UInt8:
      return "U8";
    case DType::Bool:
      return "BOOL";
  }
  return "F32";
}

}  // namespace

void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, TensorData>>& tensors) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    const uint64_t n = t.nbytes();
    header[name] = {{"dtype", safetensors_dtype(t.dtype)},
                    {"shape", t.sizes},
                    {"data_offsets", {offset, offset + n}}};
    offset += n;
  }
  std::string text = json_dump(header);
  text.append((8 - text.size() % 8) % 8, ' ');  // align the data to 8 bytes

  write_file_atomically(path, [&](std::ostream& out) {
    uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(uint64_t{text.size()} >> (8 * i));
    out.write(reinterpret_cast<const char*>(len), 8);
    out << text;
    for (const auto& [name, t] : tensors) {
      std::vector<uint8_t> bytes = t.contiguous_bytes();
      out.write(reinterpret_cast<const char*>(bytes.data()),
                static_cast<std::streamsize>(bytes.size()));
    }
  });
}

}  // namespace musetalk::files
