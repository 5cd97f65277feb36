#include "files/checkpoint.h"

#include <cstring>

#include "files/byte_reader.h"
#include "files/error.h"
#include "files/file_source.h"
#include "files/pickle.h"

namespace musetalk::files {

const char* container_name(Container c) {
  switch (c) {
    case Container::TorchZip:
      return "torch zip";
    case Container::TorchLegacy:
      return "torch legacy";
    case Container::Safetensors:
      return "safetensors";
    case Container::Pickle:
      return "pickle";
    case Container::Unknown:
      return "unknown";
  }
  return "?";
}

Container detect_container(const std::string& path) {
  FileSource f(path);
  std::vector<uint8_t> head = f.read(0, std::min<uint64_t>(f.size(), 16));
  const size_t n = head.size();
  if (n >= 4 && head[0] == 'P' && head[1] == 'K' &&
      ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6))) {
    return Container::TorchZip;
  }
  // Legacy torch.save: a protocol-2 pickle of the 10-byte magic number 0x1950a86a20f9469cfc6c.
  static const uint8_t kLegacyMagic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c,
                                         0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
  if (n >= sizeof kLegacyMagic &&
      std::memcmp(head.data(), kLegacyMagic, sizeof kLegacyMagic) == 0) {
    return Container::TorchLegacy;
  }
  // safetensors: u64 header length, then a JSON object.
  if (n >= 9 && head[8] == '{' && load_u64(head.data()) <= f.size() - 8) {
    return Container::Safetensors;
  }
  if (n >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5) return Container::Pickle;
  return Container::Unknown;
}

const Value* Checkpoint::root() const {
  return container == Container::Safetensors ? nullptr : &document.root();
}

const TensorData* Checkpoint::find(const std::string& name) const {
  for (const auto& [n, t] : tensors) {
    if (n == name) return &t;
  }
  return nullptr;
}

Checkpoint read_checkpoint(const std::string& path, const ReadOptions& options) {
  Checkpoint out;
  out.path = path;
  out.container = detect_container(path);
  const char* fix = "the file is damaged or incomplete: download it again";
  try {
    switch (out.container) {
      case Container::TorchZip:
        read_torch_zip(path, options, out);
        break;
      case Container::TorchLegacy:
        read_torch_legacy(path, options, out);
        break;
      case Container::Safetensors:
        read_safetensors(path, options, out);
        break;
      case Container::Pickle:
        out.document = read_pickle_file(path);
        out.tensors = flatten_tensors(out.document.root());
        break;
      case Container::Unknown:
        throw Error(path, "not a weight file (neither a torch.save archive nor safetensors)",
                    "use the files named in models/README.md");
    }
  } catch (const FormatError& e) {
    throw Error(
        path, std::string("damaged ") + container_name(out.container) + " file: " + e.what(), fix);
  }
  return out;
}

}  // namespace musetalk::files
