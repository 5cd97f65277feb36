#pragma once
// Loading a state dict into a module by exact name: every missing, unexpected and mis-shaped key
// is reported at once, by name, in one Error.

#include <functional>
#include <string>

#include "torch_io/state_dict.h"

namespace musetalk {

// Maps a file-side name to the module's name ("" drops the tensor, e.g. Whisper decoder keys).
using NameMapper = std::function<std::string(const std::string&)>;

// Copies each tensor into the module's parameter or buffer of the same name (converting dtype),
// or throws Error(source, ...) listing every problem.
void load_strict(torch::nn::Module& module, const StateDict& weights, const std::string& source,
                 const NameMapper& map_name = {});

// Every parameter and buffer of the module: name -> shape (for key manifests and reports).
std::vector<std::pair<std::string, std::vector<int64_t>>> named_shapes(
    const torch::nn::Module& module);

}  // namespace musetalk
