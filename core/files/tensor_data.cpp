#include "files/tensor_data.h"

#include <cstring>
#include <limits>

#include "files/error.h"

namespace musetalk::files {

size_t element_size(DType t) {
  switch (t) {
    case DType::Float64:
    case DType::Int64:
      return 8;
    case DType::Float32:
    case DType::Int32:
      return 4;
    case DType::Float16:
    case DType::BFloat16:
    case DType::Int16:
      return 2;
    case DType::Int8:
    case DType::UInt8:
    case DType::Bool:
      return 1;
  }
  return 1;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::Float32:
      return "float32";
    case DType::Float16:
      return "float16";
    case DType::BFloat16:
      return "bfloat16";
    case DType::Float64:
      return "float64";
    case DType::Int64:
      return "int64";
    case DType::Int32:
      return "int32";
    case DType::Int16:
      return "int16";
    case DType::Int8:
      return "int8";
    case DType::UInt8:
      return "uint8";
    case DType::Bool:
      return "bool";
  }
  return "?";
}

float half_to_float(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1F, mant = h & 0x3FF, bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: renormalise
      exp = 127 - 15 + 1;
      while (!(mant & 0x400)) {
        mant <<= 1;
        --exp;
      }
      bits = sign | (exp << 23) | ((mant & 0x3FF) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7F800000u | (mant << 13);
  } else {
    bits = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bfloat16_to_float(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

double element_as_double(DType t, const uint8_t* p) {
  switch (t) {
    case DType::Float32: {
      float f;
      std::memcpy(&f, p, 4);
      return f;
    }
    case DType::Float64: {
      double d;
      std::memcpy(&d, p, 8);
      return d;
    }
    case DType::Float16:
      return half_to_float(static_cast<uint16_t>(p[0] | (p[1] << 8)));
    case DType::BFloat16:
      return bfloat16_to_float(static_cast<uint16_t>(p[0] | (p[1] << 8)));
    case DType::Int64: {
      int64_t i;
      std::memcpy(&i, p, 8);
      return static_cast<double>(i);
    }
    case DType::Int32: {
      int32_t i;
      std::memcpy(&i, p, 4);
      return i;
    }
    case DType::Int16: {
      int16_t i;
      std::memcpy(&i, p, 2);
      return i;
    }
    case DType::Int8:
      return static_cast<int8_t>(p[0]);
    case DType::UInt8:
      return p[0];
    case DType::Bool:
      return p[0] != 0;
  }
  return 0;
}

std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& sizes) {
  std::vector<int64_t> strides(sizes.size());
  int64_t s = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    strides[i] = s;
    s *= sizes[i] > 0 ? sizes[i] : 1;
  }
  return strides;
}

std::string shape_string(const std::vector<int64_t>& sizes) {
  std::string s = "[";
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(sizes[i]);
  }
  return s + "]";
}

uint64_t TensorData::numel() const {
  uint64_t n = 1;
  for (int64_t s : sizes) n *= static_cast<uint64_t>(s);
  return n;
}

bool TensorData::is_contiguous() const {
  if (numel() == 0) return true;
  auto expected = contiguous_strides(sizes);
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] != 1 && strides[i] != expected[i]) return false;
  }
  return true;
}

void TensorData::check_bounds() const {
  if (!storage) throw FormatError("tensor without a storage");
  if (sizes.size() != strides.size()) {
    throw FormatError("tensor has " + std::to_string(sizes.size()) + " sizes but " +
                      std::to_string(strides.size()) + " strides");
  }
  if (dtype != storage->dtype) throw FormatError("tensor and storage dtypes differ");
  // Work in unsigned 128-bit-safe steps: reject anything that could overflow first.
  constexpr uint64_t kLimit = uint64_t{1} << 62;
  uint64_t count = 1;
  uint64_t last = storage_offset;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] < 0 || strides[i] < 0) {
      throw FormatError("negative size or stride in " + shape_string(sizes));
    }
    uint64_t size = static_cast<uint64_t>(sizes[i]);
    if (size != 0 && count > kLimit / size) throw FormatError("tensor size overflows");
    count *= size;
  }
  if (count == 0) return;
  for (size_t i = 0; i < sizes.size(); ++i) {
    uint64_t stride = static_cast<uint64_t>(strides[i]);
    uint64_t span = static_cast<uint64_t>(sizes[i] - 1);
    if (stride != 0 && span > kLimit / stride) throw FormatError("tensor stride overflows");
    last += span * stride;
    if (last > kLimit) throw FormatError("tensor view overflows");
  }
  if (storage_offset > kLimit || last >= storage->numel) {
    throw FormatError("tensor " + shape_string(sizes) + " at offset " +
                      std::to_string(storage_offset) + " reaches element " + std::to_string(last) +
                      " of a storage with " + std::to_string(storage->numel) + " elements");
  }
}

std::vector<uint8_t> TensorData::contiguous_bytes() const {
  if (!storage || !storage->loaded()) throw FormatError("tensor data was not loaded");
  check_bounds();
  const size_t esize = element_size(dtype);
  const uint64_t n = numel();
  std::vector<uint8_t> out(static_cast<size_t>(n) * esize);
  if (n == 0) return out;
  const uint8_t* base = storage->bytes();
  if (is_contiguous()) {
    std::memcpy(out.data(), base + storage_offset * esize, out.size());
    return out;
  }
  std::vector<int64_t> index(sizes.size(), 0);
  for (uint64_t k = 0; k < n; ++k) {
    uint64_t element = storage_offset;
    for (size_t d = 0; d < sizes.size(); ++d) element += index[d] * strides[d];
    std::memcpy(out.data() + k * esize, base + element * esize, esize);
    for (size_t d = sizes.size(); d-- > 0;) {
      if (++index[d] < sizes[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

}  // namespace musetalk::files
