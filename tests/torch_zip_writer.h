#pragma once
// Test support: writing a state dict the way torch.save does (zip container, pickle protocol 2,
// an OrderedDict of _rebuild_tensor_v2 calls, one stored entry per storage; PyTorch
// torch/serialization.py _save), so tests can produce weight files in the released format.
// Written via a temporary name, then renamed. Only tests write this format; the engine only
// reads it (core/files/torch_zip.cpp).

#include <string>
#include <utility>
#include <vector>

#include "files/tensor_data.h"

namespace musetalk::test {

// tensors: name -> tensor, in file order; any dtype the reader knows, any strides (written
// contiguously). The archive's root folder is path's stem, as torch.save names it. Throws
// musetalk::Error naming path when it cannot be written or exceeds 4 GiB (no zip64); no partial
// file is left behind.
void write_torch_zip(const std::string& path,
                     const std::vector<std::pair<std::string, files::TensorData>>& tensors);

}  // namespace musetalk::test
