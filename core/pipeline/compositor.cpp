#include "pipeline/compositor.h"

#include <algorithm>
#include <cmath>

namespace musetalk::pipeline {
namespace {

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

constexpr int kCoefBits = 11;  // OpenCV's INTER_RESIZE_COEF_BITS
constexpr int kCoefScale = 1 << kCoefBits;

// One axis of OpenCV's linear resize: source indices i0, i1 and weights w0 + w1 ~ 2048 per output
// index. OpenCV computes the fraction in float and rounds each weight on its own. Columns past
// the edges take the edge pixel at full weight; rows keep their fraction and read the edge row
// twice (resizeGeneric clamps only the row index), which rounds differently in the fixed point.
struct AxisTaps {
  torch::Tensor i0, i1, w0, w1;
};

AxisTaps axis_taps(int64_t src, int64_t dst, bool clamp_fraction, const torch::Device& device) {
  // Computed where the image is, so no table crosses to the device; every step below is exact
  // in IEEE arithmetic, so CPU and GPU agree with OpenCV's scalar loop.
  // OpenCV derives the step from the inverse scale (hal::resize: scale_x = 1. / inv_scale_x).
  const double scale = 1.0 / (static_cast<double>(dst) / static_cast<double>(src));
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64).device(device);
  torch::Tensor f = ((torch::arange(dst, f64) + 0.5) * scale - 0.5).to(torch::kFloat32);
  torch::Tensor s = torch::floor(f);
  f = f - s;
  if (clamp_fraction) f = f.masked_fill(s.lt(0).logical_or(s.ge(src - 1)), 0);
  s = s.to(torch::kInt64);
  if (clamp_fraction) s = s.clamp(0, src - 1);
  AxisTaps taps;
  taps.i0 = s.clamp(0, src - 1);
  taps.i1 = (s + 1).clamp(0, src - 1);
  // saturate_cast<short> rounds half to even, as torch::round does.
  taps.w0 = torch::round((1 - f) * kCoefScale).to(torch::kInt32);
  taps.w1 = torch::round(f * kCoefScale).to(torch::kInt32);
  return taps;
}

// Box a intersected with box b (may be empty: x2 <= x1 or y2 <= y1).
Box intersect(const Box& a, const Box& b) {
  return {std::max(a.x1, b.x1), std::max(a.y1, b.y1), std::min(a.x2, b.x2), std::min(a.y2, b.y2)};
}

torch::Tensor region(const torch::Tensor& image, const Box& r, int dx = 0, int dy = 0) {
  return image.narrow(0, r.y1 - dy, r.height()).narrow(1, r.x1 - dx, r.width());
}

}  // namespace

Box crop_box_for(const Box& box, double expand) {
  const int64_t xc = floor_div(box.x1 + box.x2, 2), yc = floor_div(box.y1 + box.y2, 2);
  const int64_t half = floor_div(std::max(box.width(), box.height()), 2);
  const auto s = static_cast<int64_t>(static_cast<double>(half) * expand);  // int() truncates
  return {static_cast<int>(xc - s), static_cast<int>(yc - s), static_cast<int>(xc + s),
          static_cast<int>(yc + s)};
}

torch::Tensor resize_face(const torch::Tensor& face, int width, int height) {
  TORCH_CHECK(face.dim() == 3 && face.scalar_type() == torch::kUInt8,
              "resize_face: expected (h, w, C) uint8, got ", face.sizes(), " ", face.dtype());
  TORCH_CHECK(width > 0 && height > 0, "resize_face: empty target ", width, "x", height);
  const AxisTaps xs = axis_taps(face.size(1), width, true, face.device());
  const AxisTaps ys = axis_taps(face.size(0), height, false, face.device());
  // Horizontal pass in int32 at scale 2048 (HResizeLinear), rows selected afterwards.
  const torch::Tensor src = face.to(torch::kInt32);
  const torch::Tensor wx0 = xs.w0.view({1, -1, 1}), wx1 = xs.w1.view({1, -1, 1});
  const torch::Tensor rows =
      src.index_select(1, xs.i0) * wx0 + src.index_select(1, xs.i1) * wx1;  // (h, width, C)
  // Vertical pass as OpenCV's uint8 VResizeLinear: each term pre-shifted so it fits 32 bits,
  // then ((b0 * (S0 >> 4)) >> 16 + (b1 * (S1 >> 4)) >> 16 + 2) >> 2.
  const torch::Tensor wy0 = ys.w0.view({-1, 1, 1}), wy1 = ys.w1.view({-1, 1, 1});
  const torch::Tensor t0 = (wy0 * rows.index_select(0, ys.i0).__rshift__(4)).__rshift__(16);
  const torch::Tensor t1 = (wy1 * rows.index_select(0, ys.i1).__rshift__(4)).__rshift__(16);
  return ((t0 + t1 + 2).__rshift__(2)).clamp(0, 255).to(torch::kUInt8);
}

torch::Tensor paste_face(const torch::Tensor& frame, const torch::Tensor& face, const Box& box,
                         const torch::Tensor& mask, const Box& crop) {
  TORCH_CHECK(frame.dim() == 3 && frame.scalar_type() == torch::kUInt8,
              "paste_face: frame must be (H, W, C) uint8, got ", frame.sizes());
  TORCH_CHECK(face.dim() == 3 && face.size(0) == box.height() && face.size(1) == box.width(),
              "paste_face: face ", face.sizes(), " does not fit the box ", box.width(), "x",
              box.height());
  TORCH_CHECK(mask.dim() == 2 && mask.size(0) == crop.height() && mask.size(1) == crop.width(),
              "paste_face: mask ", mask.sizes(), " does not fit the crop box ", crop.width(), "x",
              crop.height());
  torch::Tensor out = frame.clone();
  // Outside the face box the crop still holds the frame itself, and DIV255(d * 255) == d, so
  // only pixels of the face inside both the crop box and the frame can change (MuseTalk
  // musetalk/utils/blending.py get_image_blending).
  const Box image{0, 0, static_cast<int>(frame.size(1)), static_cast<int>(frame.size(0))};
  const Box r = intersect(intersect(box, crop), image);
  if (r.width() <= 0 || r.height() <= 0) return out;
  const torch::Tensor dst = region(frame, r).to(torch::kInt32);
  const torch::Tensor src = region(face, r, box.x1, box.y1).to(dst.device(), torch::kInt32);
  const torch::Tensor m =
      region(mask, r, crop.x1, crop.y1).to(dst.device(), torch::kInt32).unsqueeze(2);
  // PIL's paste through an "L" mask: DIV255(dst * (255 - m) + src * m), DIV255(v) =
  // ((v + 128) + ((v + 128) >> 8)) >> 8.
  const torch::Tensor v = dst * (255 - m) + src * m + 128;
  region(out, r).copy_((v + v.__rshift__(8)).__rshift__(8).to(torch::kUInt8));
  return out;
}

torch::Tensor compose_frame(const torch::Tensor& frame, const torch::Tensor& mask, const Box& box,
                            const Box& crop, const torch::Tensor& face256) {
  if (box.width() <= 0 || box.height() <= 0) return frame;
  return paste_face(frame, resize_face(face256, box.width(), box.height()), box, mask, crop);
}

}  // namespace musetalk::pipeline
