#include "torch_io/state_dict.h"

#include "files/error.h"
#include "files/safetensors_writer.h"

namespace musetalk {

torch::ScalarType to_scalar_type(files::DType t) {
  using files::DType;
  switch (t) {
    case DType::Float32:
      return torch::kFloat32;
    case DType::Float16:
      return torch::kFloat16;
    case DType::BFloat16:
      return torch::kBFloat16;
    case DType::Float64:
      return torch::kFloat64;
    case DType::Int64:
      return torch::kInt64;
    case DType::Int32:
      return torch::kInt32;
    case DType::Int16:
      return torch::kInt16;
    case DType::Int8:
      return torch::kInt8;
    case DType::UInt8:
      return torch::kUInt8;
    case DType::Bool:
      return torch::kBool;
  }
  return torch::kFloat32;
}

torch::Tensor to_torch(const files::TensorData& t) {
  if (!t.storage || !t.storage->loaded()) {
    throw Error(t.storage ? t.storage->key : "tensor", "tensor data was not loaded");
  }
  t.check_bounds();
  std::shared_ptr<files::StorageData> keep = t.storage;
  // from_blob takes a mutable pointer; the buffer is shared read-only by convention, as torch
  // shares a storage between the tensors that view it.
  void* data = const_cast<uint8_t*>(keep->bytes());
  auto options = torch::TensorOptions().dtype(to_scalar_type(t.dtype)).device(torch::kCPU);
  torch::Tensor base = torch::from_blob(
      data, {static_cast<int64_t>(keep->numel)}, [keep](void*) {}, options);
  return base.as_strided(t.sizes, t.strides, static_cast<int64_t>(t.storage_offset));
}

files::DType to_file_dtype(torch::ScalarType t) {
  using files::DType;
  switch (t) {
    case torch::kFloat32:
      return DType::Float32;
    case torch::kFloat16:
      return DType::Float16;
    case torch::kBFloat16:
      return DType::BFloat16;
    case torch::kFloat64:
      return DType::Float64;
    case torch::kInt64:
      return DType::Int64;
    case torch::kInt32:
      return DType::Int32;
    case torch::kInt16:
      return DType::Int16;
    case torch::kInt8:
      return DType::Int8;
    case torch::kUInt8:
      return DType::UInt8;
    case torch::kBool:
      return DType::Bool;
    default:
      break;
  }
  throw Error("tensor", std::string("dtype ") + c10::toString(t) + " cannot be saved");
}

files::TensorData to_file_tensor(const torch::Tensor& tensor) {
  torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
  auto storage = std::make_shared<files::StorageData>();
  storage->dtype = to_file_dtype(t.scalar_type());
  storage->numel = static_cast<uint64_t>(t.numel());
  const auto* p = static_cast<const uint8_t*>(t.data_ptr());
  storage->buffer = std::make_shared<const std::vector<uint8_t>>(p, p + t.nbytes());
  files::TensorData data;
  data.storage = storage;
  data.dtype = storage->dtype;
  data.sizes = t.sizes().vec();
  data.strides = files::contiguous_strides(data.sizes);
  return data;
}

std::vector<std::pair<std::string, files::TensorData>> to_file_tensors(const StateDict& tensors) {
  std::vector<std::pair<std::string, files::TensorData>> out;
  for (const auto& item : tensors) out.emplace_back(item.key(), to_file_tensor(item.value()));
  return out;
}

void save_safetensors(const std::string& path, const StateDict& tensors) {
  files::write_safetensors(path, to_file_tensors(tensors));
}

StateDict load_state_dict(const std::string& path) {
  files::Checkpoint ckpt = files::read_checkpoint(path);
  StateDict out;
  out.reserve(ckpt.tensors.size());
  for (const auto& [name, t] : ckpt.tensors) out.insert(name, to_torch(t));
  return out;
}

}  // namespace musetalk
