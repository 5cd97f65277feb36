#pragma once
// LibTorch side of the checkpoint reader: files::TensorData -> torch::Tensor, and whole files
// as ordered name -> tensor maps.

#include <torch/torch.h>

#include <string>

#include "files/checkpoint.h"

namespace musetalk {

using StateDict = torch::OrderedDict<std::string, torch::Tensor>;

torch::ScalarType to_scalar_type(files::DType t);

// A CPU tensor viewing the reader's buffer (no copy; it keeps the buffer alive). Whatever device
// the file was saved from ("cuda:0"), the tensor is on the CPU.
torch::Tensor to_torch(const files::TensorData& t);

// Every tensor of a weight file (any container), in file order. Throws Error naming the file.
StateDict load_state_dict(const std::string& path);

files::DType to_file_dtype(torch::ScalarType t);

// CPU copies of the tensors, as the file writers take them.
files::TensorData to_file_tensor(const torch::Tensor& tensor);
std::vector<std::pair<std::string, files::TensorData>> to_file_tensors(const StateDict& tensors);

// Writes a state dict as safetensors via a temporary name that is renamed at the end. (Tests
// write torch.save's zip container with tests/torch_zip_writer.h.)
void save_safetensors(const std::string& path, const StateDict& tensors);

}  // namespace musetalk
