#include "avatar/png_info.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include "avatar/avatar.h"
#include "files/error.h"
#include "files/file_source.h"

namespace musetalk::avatar {
namespace {

constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
// Signature, then the IHDR chunk: length (4), type (4), width (4), height (4), depth, colour.
constexpr uint64_t kHeaderBytes = 8 + 4 + 4 + 4 + 4 + 1 + 1;

uint32_t big_endian(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

int PngInfo::channels() const {
  switch (colour_type) {
    case 2:
      return 3;
    case 4:
      return 2;
    case 6:
      return 4;
    default:
      return 1;
  }
}

PngInfo read_png_info(const std::string& path) {
  files::FileSource file(path);
  const std::string fix = std::string("the image is damaged: ") + kRecreateFix;
  if (file.size() < kHeaderBytes) throw Error(path, "not a PNG image (too short)", fix);
  std::vector<uint8_t> head = file.read(0, kHeaderBytes);
  if (std::memcmp(head.data(), kSignature, sizeof kSignature) != 0) {
    throw Error(path, "not a PNG image (no PNG signature)", fix);
  }
  if (std::memcmp(head.data() + 12, "IHDR", 4) != 0) {
    throw Error(path, "not a PNG image (the first chunk is not IHDR)", fix);
  }
  PngInfo info;
  const uint32_t w = big_endian(head.data() + 16), h = big_endian(head.data() + 20);
  if (w == 0 || h == 0 || w > 0x7fffffff || h > 0x7fffffff) {
    throw Error(path,
                "PNG header gives an invalid size " + std::to_string(w) + "x" + std::to_string(h),
                fix);
  }
  info.width = static_cast<int>(w);
  info.height = static_cast<int>(h);
  info.bit_depth = head[24];
  info.colour_type = head[25];
  return info;
}

}  // namespace musetalk::avatar
