#include "avatar/latents.h"

#include <memory>

#include "avatar/avatar.h"
#include "files/error.h"

namespace musetalk::avatar {
namespace {

std::vector<int64_t> stacked_shape(size_t frames) {
  std::vector<int64_t> shape = {static_cast<int64_t>(frames)};
  shape.insert(shape.end(), kLatentShape.begin(), kLatentShape.end());
  return shape;
}

}  // namespace

files::TensorData stack_latents(const std::vector<files::TensorData>& per_frame) {
  const uint64_t frame_numel = 8 * 32 * 32;
  auto storage = std::make_shared<files::StorageData>();
  storage->dtype = per_frame.empty() ? files::DType::Float16 : per_frame.front().dtype;
  storage->numel = frame_numel * per_frame.size();
  storage->location = "cpu";
  auto buffer = std::make_shared<std::vector<uint8_t>>();
  buffer->reserve(storage->nbytes());
  for (size_t i = 0; i < per_frame.size(); ++i) {
    const files::TensorData& t = per_frame[i];
    if (t.dtype != storage->dtype || t.numel() != frame_numel) {
      throw files::FormatError("latent " + std::to_string(i) + " is " + files::dtype_name(t.dtype) +
                               " " + files::shape_string(t.sizes) + ", expected " +
                               files::dtype_name(storage->dtype) + " [1, 8, 32, 32]");
    }
    std::vector<uint8_t> bytes = t.contiguous_bytes();
    buffer->insert(buffer->end(), bytes.begin(), bytes.end());
  }
  storage->buffer = std::move(buffer);

  files::TensorData out;
  out.storage = std::move(storage);
  out.dtype = out.storage->dtype;
  out.sizes = stacked_shape(per_frame.size());
  out.strides = files::contiguous_strides(out.sizes);
  return out;
}

void check_latents(const files::TensorData& latents, size_t frames, const std::string& file) {
  const std::vector<int64_t> want = stacked_shape(frames);
  if (latents.sizes != want) {
    throw Error(file,
                "latents have shape " + files::shape_string(latents.sizes) + ", expected " +
                    files::shape_string(want) + " (one (8, 32, 32) latent per cycle frame)",
                kRecreateFix);
  }
  if (latents.dtype != files::DType::Float16 && latents.dtype != files::DType::Float32 &&
      latents.dtype != files::DType::BFloat16) {
    throw Error(file,
                std::string("latents are ") + files::dtype_name(latents.dtype) +
                    ", expected float16 or float32",
                kRecreateFix);
  }
}

}  // namespace musetalk::avatar
