#pragma once
// Tensors as the file readers return them: typed byte buffers plus a strided view, with no
// LibTorch dependency. torch_io/ turns them into torch::Tensor.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace musetalk::files {

enum class DType { Float32, Float16, BFloat16, Float64, Int64, Int32, Int16, Int8, UInt8, Bool };

size_t element_size(DType t);
const char* dtype_name(DType t);  // "float32", "float16", ...

// One storage: a contiguous run of elements inside a shared byte buffer. Several tensors may view
// the same storage (tied weights, views with an offset).
struct StorageData {
  DType dtype = DType::Float32;
  std::string key;           // the storage's name in the container
  std::string location;      // where it was saved from ("cpu", "cuda:0"); tensors load on the CPU
  uint64_t numel = 0;        // elements
  uint64_t file_offset = 0;  // where its bytes start in the file
  std::shared_ptr<const std::vector<uint8_t>> buffer;  // null until the data is read
  size_t buffer_offset = 0;

  size_t nbytes() const { return static_cast<size_t>(numel) * element_size(dtype); }
  bool loaded() const { return buffer != nullptr; }
  const uint8_t* bytes() const { return buffer->data() + buffer_offset; }
};

// A strided view into a storage (torch's _rebuild_tensor_v2 semantics; offset and strides in
// elements).
struct TensorData {
  std::shared_ptr<StorageData> storage;
  DType dtype = DType::Float32;
  uint64_t storage_offset = 0;
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;

  uint64_t numel() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * element_size(dtype); }
  bool is_contiguous() const;
  // The view's elements in row-major order (copies; the storage must be loaded).
  std::vector<uint8_t> contiguous_bytes() const;
  // Throws FormatError unless every element of the view lies inside the storage.
  void check_bounds() const;
};

// One element at p (little-endian) as a double: for checks, summaries and tests.
double element_as_double(DType t, const uint8_t* p);
float half_to_float(uint16_t bits);
float bfloat16_to_float(uint16_t bits);

std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& sizes);
std::string shape_string(const std::vector<int64_t>& sizes);  // "[8, 3, 3, 3]"

}  // namespace musetalk::files
