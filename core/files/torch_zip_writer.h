#pragma once
// Writing a state dict the way torch.save does (zip container, pickle protocol 2, an
// OrderedDict of _rebuild_tensor_v2 calls, one stored entry per storage), so tests and tools can
// produce weight files in the released format. Written via a temporary name, then renamed.

#include <string>
#include <utility>
#include <vector>

#include "files/tensor_data.h"

namespace musetalk::files {

void write_torch_zip(const std::string& path,
                     const std::vector<std::pair<std::string, TensorData>>& tensors);

}  // namespace musetalk::files
