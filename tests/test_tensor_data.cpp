#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "files/error.h"
#include "files/tensor_data.h"

namespace musetalk::files {
namespace {

std::shared_ptr<StorageData> float_storage(std::vector<float> values) {
  auto s = std::make_shared<StorageData>();
  s->dtype = DType::Float32;
  s->numel = values.size();
  auto bytes = std::make_shared<std::vector<uint8_t>>(values.size() * 4);
  std::memcpy(bytes->data(), values.data(), bytes->size());
  s->buffer = bytes;
  return s;
}

TEST(TensorData, TransposedViewMaterialisesRowMajor) {
  TensorData t;
  t.storage = float_storage({1, 2, 3, 4, 5, 6});  // 2x3
  t.sizes = {3, 2};
  t.strides = {1, 3};
  EXPECT_FALSE(t.is_contiguous());
  std::vector<uint8_t> bytes = t.contiguous_bytes();
  std::vector<float> got(6);
  std::memcpy(got.data(), bytes.data(), bytes.size());
  EXPECT_EQ(got, (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

TEST(TensorData, ViewsOutsideTheStorageAreRejected) {
  TensorData t;
  t.storage = float_storage({1, 2, 3, 4});
  t.sizes = {2, 2};
  t.strides = {2, 1};
  t.storage_offset = 1;
  EXPECT_THROW(t.check_bounds(), FormatError);
  t.storage_offset = 0;
  EXPECT_NO_THROW(t.check_bounds());
  t.strides = {int64_t{1} << 62, 1};
  EXPECT_THROW(t.check_bounds(), FormatError);
  t.strides = {2, 1};
  t.sizes = {-1, 2};
  EXPECT_THROW(t.check_bounds(), FormatError);
}

TEST(TensorData, HalfAndBfloatConversions) {
  EXPECT_EQ(half_to_float(0x3C00), 1.0f);
  EXPECT_EQ(half_to_float(0xC000), -2.0f);
  EXPECT_EQ(half_to_float(0x0001), 5.9604645e-08f);  // smallest subnormal
  EXPECT_TRUE(std::isinf(half_to_float(0x7C00)));
  EXPECT_EQ(bfloat16_to_float(0x3F80), 1.0f);
}

}  // namespace
}  // namespace musetalk::files
