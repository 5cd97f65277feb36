#pragma once
// Writing safetensors files (the native avatar cache's latents, test model sets). The file is
// written to a temporary name and renamed, so a failure never leaves a partial file.

#include <string>
#include <utility>
#include <vector>

#include "files/tensor_data.h"

namespace musetalk::files {

void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, TensorData>>& tensors);

}  // namespace musetalk::files
