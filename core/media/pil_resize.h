#pragma once
// Pillow's Image.resize for 8-bit images, reproduced exactly: avatar creation resizes with PIL
// where upstream does (MuseTalk musetalk/utils/face_parsing/__init__.py FaceParsing.__call__:
// the crop to 512x512 with BILINEAR; musetalk/utils/blending.py face_seg: the parsed mask back
// to the crop's size with the default BICUBIC). OpenCV's resize differs (no antialiasing when
// downscaling, other weights and rounding), so this is own code following Pillow
// src/libImaging/Resample.c (ImagingResample, precompute_coeffs, normalize_coeffs_8bpc,
// _ImagingResampleHorizontal_8bpc / _ImagingResampleVertical_8bpc).

#include "media/image_io.h"

namespace musetalk::media {

// The two PIL filters upstream uses (PIL.Image.Resampling.BILINEAR and BICUBIC).
enum class PilFilter { Bilinear, Bicubic };

// Image.resize((width, height), filter) of Pillow >= 7 with the default box (the whole image)
// and no reducing_gap: a separable convolution, horizontal pass then vertical, each pass only
// where that side changes. When a side shrinks the filter's support widens by the scale
// (antialiasing). Weights are normalised in double, then fixed point with 22 fractional bits
// (PRECISION_BITS), rounded half away from zero; each pass rounds (adds half) and clips to
// 0..255. The same size returns a copy.
//
// in: uint8, 1 channel (PIL mode "L") or 3 (mode "RGB"; the channels are resampled alike, so
// BGR pixels give the BGR of the result). width, height: the result's size in pixels, >= 1.
// Throws musetalk::Error when in is empty, has another channel count, its pixel buffer does not
// match its size, or the size asked for is not positive.
Image pil_resize(const Image& in, int width, int height, PilFilter filter);

}  // namespace musetalk::media
