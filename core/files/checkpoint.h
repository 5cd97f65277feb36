#pragma once
// Reading weight files as released: torch.save zip archives, legacy (pre-1.6) torch.save files,
// safetensors and plain pickles, told apart by their content, never by the file extension.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "files/pickle_value.h"
#include "files/tensor_data.h"

namespace musetalk::files {

enum class Container { TorchZip, TorchLegacy, Safetensors, Pickle, Unknown };

const char* container_name(Container c);  // "torch zip", "torch legacy", ...

// Looks at the first bytes. Throws Error if the file cannot be read.
Container detect_container(const std::string& path);

struct ReadOptions {
  // false: parse the structure and check every tensor's storage is present and the right size,
  // without reading (or CRC-checking) the tensor bytes.
  bool load_data = true;
};

struct Checkpoint {
  std::string path;
  Container container = Container::Unknown;
  PickleDocument document;  // the pickled object (no root for safetensors)
  // Every torch tensor by flattened name ("state_dict.conv.weight"), in file order.
  std::vector<std::pair<std::string, TensorData>> tensors;
  // A safetensors header's "__metadata__" (free-form string -> string; other values are left
  // out, never an error). Empty for the other containers.
  std::map<std::string, std::string> metadata;

  const Value* root() const;  // nullptr for safetensors
  const TensorData* find(const std::string& name) const;
};

// Throws Error naming the file and what is wrong with it.
Checkpoint read_checkpoint(const std::string& path, const ReadOptions& options = {});

// The container readers behind read_checkpoint; they throw FormatError.
void read_torch_zip(const std::string& path, const ReadOptions& options, Checkpoint& out);
void read_torch_legacy(const std::string& path, const ReadOptions& options, Checkpoint& out);
void read_safetensors(const std::string& path, const ReadOptions& options, Checkpoint& out);

}  // namespace musetalk::files
