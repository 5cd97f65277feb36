#include "media/pil_resize.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "files/error.h"

// The weights must round exactly as Pillow's C code computes them: no fused multiply-add.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace musetalk::media {
namespace {

// Resample.c PRECISION_BITS: 8 bits of result, 2 for overflow of negative or > 1 weight sums.
constexpr int kPrecisionBits = 32 - 8 - 2;

// Resample.c bilinear_filter (support 1).
double bilinear_filter(double x) {
  if (x < 0.0) x = -x;
  if (x < 1.0) return 1.0 - x;
  return 0.0;
}

// Resample.c bicubic_filter (support 2, a = -0.5).
double bicubic_filter(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// One pass's weights: output index i reads `count[i]` inputs from `first[i]` with the
// fixed-point weights kk[i * ksize ...].
struct Coefficients {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<int32_t> kk;
};

// Resample.c precompute_coeffs over the whole input (box in0 = 0, in1 = in_size), followed by
// normalize_coeffs_8bpc.
Coefficients precompute(int in_size, int out_size, PilFilter filter) {
  double (*fn)(double) = filter == PilFilter::Bilinear ? bilinear_filter : bicubic_filter;
  const double filter_support = filter == PilFilter::Bilinear ? 1.0 : 2.0;
  const float in0 = 0.0f, in1 = static_cast<float>(in_size);
  const double scale = static_cast<double>(in1 - in0) / out_size;
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = filter_support * filterscale;
  Coefficients c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.kk.assign(static_cast<size_t>(out_size) * c.ksize, 0);
  std::vector<double> k(c.ksize);
  const double inv_filterscale = 1.0 / filterscale;
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    double ww = 0.0;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    for (int x = 0; x < xmax; ++x) {
      const double w = fn((x + xmin - center + 0.5) * inv_filterscale);
      k[x] = w;
      ww += w;
    }
    if (ww != 0.0) {
      for (int x = 0; x < xmax; ++x) k[x] /= ww;
    }
    for (int x = 0; x < xmax; ++x) {
      const double scaled = k[x] * (1 << kPrecisionBits);
      c.kk[static_cast<size_t>(xx) * c.ksize + x] =
          k[x] < 0 ? static_cast<int32_t>(-0.5 + scaled) : static_cast<int32_t>(0.5 + scaled);
    }
    c.first[xx] = xmin;
    c.count[xx] = xmax;
  }
  return c;
}

// Resample.c clip8: drop the fraction (the sums start at one half, so this rounds) and clip.
inline uint8_t clip8(int32_t sum) {
  const int32_t v = sum >> kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

// _ImagingResampleHorizontal_8bpc over input rows [row0, row0 + rows).
Image resample_horizontal(const Image& in, int row0, int rows, const Coefficients& c) {
  const int out_w = static_cast<int>(c.first.size());
  const int ch = in.channels;
  Image out;
  out.width = out_w;
  out.height = rows;
  out.channels = ch;
  out.pixels.resize(static_cast<size_t>(out_w) * rows * ch);
  for (int yy = 0; yy < rows; ++yy) {
    const uint8_t* line_in = in.pixels.data() + static_cast<size_t>(yy + row0) * in.width * ch;
    uint8_t* line_out = out.pixels.data() + static_cast<size_t>(yy) * out_w * ch;
    for (int xx = 0; xx < out_w; ++xx) {
      const int32_t* k = c.kk.data() + static_cast<size_t>(xx) * c.ksize;
      const uint8_t* src = line_in + static_cast<size_t>(c.first[xx]) * ch;
      for (int b = 0; b < ch; ++b) {
        int32_t ss = 1 << (kPrecisionBits - 1);
        for (int x = 0; x < c.count[xx]; ++x) ss += src[x * ch + b] * k[x];
        line_out[xx * ch + b] = clip8(ss);
      }
    }
  }
  return out;
}

// _ImagingResampleVertical_8bpc; `first` is relative to in's row 0.
Image resample_vertical(const Image& in, const Coefficients& c, int row_offset) {
  const int out_h = static_cast<int>(c.first.size());
  const int ch = in.channels;
  const size_t row_bytes = static_cast<size_t>(in.width) * ch;
  Image out;
  out.width = in.width;
  out.height = out_h;
  out.channels = ch;
  out.pixels.resize(row_bytes * out_h);
  for (int yy = 0; yy < out_h; ++yy) {
    const int32_t* k = c.kk.data() + static_cast<size_t>(yy) * c.ksize;
    const uint8_t* src = in.pixels.data() + (c.first[yy] - row_offset) * row_bytes;
    uint8_t* line_out = out.pixels.data() + yy * row_bytes;
    for (size_t i = 0; i < row_bytes; ++i) {
      int32_t ss = 1 << (kPrecisionBits - 1);
      for (int y = 0; y < c.count[yy]; ++y) ss += src[y * row_bytes + i] * k[y];
      line_out[i] = clip8(ss);
    }
  }
  return out;
}

}  // namespace

Image pil_resize(const Image& in, int width, int height, PilFilter filter) {
  const std::string what = "PIL resize input";
  if (in.channels != 1 && in.channels != 3) {
    throw Error(what, "has " + std::to_string(in.channels) + " channels; expected 1 or 3");
  }
  if (in.width < 1 || in.height < 1 ||
      in.pixels.size() != static_cast<size_t>(in.width) * in.height * in.channels) {
    throw Error(what, "is empty or its pixel buffer does not match its " +
                          std::to_string(in.width) + "x" + std::to_string(in.height) + "x" +
                          std::to_string(in.channels) + " size");
  }
  if (width < 1 || height < 1) {
    throw Error(what, "target size " + std::to_string(width) + "x" + std::to_string(height) +
                          " is not positive (PIL: height and width must be > 0)");
  }
  // ImagingResampleInner: the vertical weights first, to know which rows the horizontal pass
  // must produce.
  const Coefficients vert = precompute(in.height, height, filter);
  const bool need_horizontal = width != in.width;
  const bool need_vertical = height != in.height;
  if (!need_horizontal && !need_vertical) return in;
  const int row_first = vert.first.front();
  const int row_last = vert.first.back() + vert.count.back();
  if (!need_horizontal) return resample_vertical(in, vert, 0);
  const Coefficients horiz = precompute(in.width, width, filter);
  if (!need_vertical) return resample_horizontal(in, 0, in.height, horiz);
  const Image temp = resample_horizontal(in, row_first, row_last - row_first, horiz);
  return resample_vertical(temp, vert, row_first);
}

}  // namespace musetalk::media
