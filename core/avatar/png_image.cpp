#include "avatar/png_image.h"

#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <utility>

#include "files/error.h"
#include "files/file_source.h"

namespace musetalk::avatar {
namespace {

const char* const kDamagedFix = "the avatar folder is damaged: create or import it again";

// cv2.imread's largest image (opencv modules/imgcodecs/src/loadsave.cpp validateInputImageSize,
// CV_IO_MAX_IMAGE_PIXELS). libpng itself refuses sides above 1,000,000 (png_set_user_limits'
// default), below OpenCV's 2^20.
constexpr uint64_t kMaxPixels = uint64_t{1} << 30;

// What libpng reads from, and where its error handler leaves the message. Plain data: libpng's
// errors longjmp across the frames that hold it.
struct Source {
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t at = 0;
  char error[256] = {};
};

void read_bytes(png_structp png, png_bytep out, size_t n) {
  auto* src = static_cast<Source*>(png_get_io_ptr(png));
  // As opencv PngDecoder::readDataFromBuf: running out of bytes is an error.
  if (n > src->size - src->at) png_error(png, "the file ends before the image does (truncated)");
  std::memcpy(out, src->data + src->at, n);
  src->at += n;
}

// libpng's error handler must not return; it keeps the message and jumps back to the setjmp of
// read_header() or read_pixels(). No C++ exception ever crosses libpng's C frames.
[[noreturn]] void on_error(png_structp png, png_const_charp message) {
  auto* src = static_cast<Source*>(png_get_error_ptr(png));
  std::snprintf(src->error, sizeof src->error, "%s", message ? message : "libpng error");
  png_longjmp(png, 1);
}

// Warnings (an ancillary chunk with a bad CRC, a known-wrong sRGB profile) leave the image
// readable, as in OpenCV, which only prints them; they are not printed for every avatar frame.
void on_warning(png_structp, png_const_charp) {}

// One read struct with its two info structs, destroyed with them.
struct ReadStruct {
  png_structp png = nullptr;
  png_infop info = nullptr;
  png_infop end = nullptr;

  ReadStruct() = default;
  ReadStruct(const ReadStruct&) = delete;
  ReadStruct& operator=(const ReadStruct&) = delete;
  ~ReadStruct() {
    if (png) png_destroy_read_struct(&png, &info, &end);
  }
};

struct Header {
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, colour_type = 0;
};

// The eXIf chunk's bytes (owned by libpng's info struct), or none.
struct ExifBlock {
  const uint8_t* data = nullptr;
  png_uint_32 size = 0;
};

// png_read_info up to the first IDAT, as opencv PngDecoder::readHeader. False on a libpng error
// (the message in src.error). Nothing with a destructor lives in this frame, since a libpng error
// longjmps back into it.
bool read_header(png_structp png, png_infop info, Header& header) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_info(png, info);
  png_get_IHDR(png, info, &header.width, &header.height, &header.bit_depth, &header.colour_type,
               nullptr, nullptr, nullptr);
  return true;
}

// The transformations of opencv PngDecoder::readData for an 8-bit image of `channels` (3 or 1)
// channels, in its order, then the rows into rows[0..height) and the rest of the file up to IEND
// (png_read_end, so that a file cut after its pixels is still an error, as in OpenCV). False on a
// libpng error (the message in src.error) or when the transformed rows are not row_bytes long.
// Like read_header(), nothing with a destructor lives in this frame.
bool read_pixels(png_structp png, png_infop info, png_infop end, const Header& header, int channels,
                 size_t row_bytes, png_bytepp rows, ExifBlock& exif, Source& src) {
  if (setjmp(png_jmpbuf(png))) return false;
  // OpenCV also calls png_set_swap for an image it keeps at 16 bits: never here.
  if (header.bit_depth == 16) png_set_strip_16(png);
  // channels < 4: always strip alpha (tRNS transparency included).
  png_set_strip_alpha(png);
  if (header.colour_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if ((header.colour_type & PNG_COLOR_MASK_COLOR) == 0 && header.bit_depth < 8) {
    png_set_expand_gray_1_2_4_to_8(png);
  }
  if ((header.colour_type & PNG_COLOR_MASK_COLOR) != 0 && channels == 3) {
    png_set_bgr(png);
  } else if (channels == 3) {
    png_set_gray_to_rgb(png);
  } else {
    png_set_rgb_to_gray(png, PNG_ERROR_ACTION_NONE, 0.299, 0.587);
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_rowbytes(png, info) != row_bytes || png_get_channels(png, info) != channels) {
    std::snprintf(src.error, sizeof src.error, "decodes to %u channels, not %d",
                  static_cast<unsigned>(png_get_channels(png, info)), channels);
    return false;
  }
  png_read_image(png, rows);
  png_read_end(png, end);
  // The eXIf chunk may come before the pixels or after them (opencv PngDecoder::readData).
  png_bytep data = nullptr;
  png_uint_32 size = 0;
  if (png_get_valid(png, info, PNG_INFO_eXIf)) {
    png_get_eXIf_1(png, info, &size, &data);
  } else if (png_get_valid(png, end, PNG_INFO_eXIf)) {
    png_get_eXIf_1(png, end, &size, &data);
  }
  exif.data = data;
  exif.size = size;
  return true;
}

// The IFD0 Orientation tag (0x0112) of an EXIF block, read as opencv ExifReader::parseExif reads
// it (modules/imgcodecs/src/exif.cpp): "II" little-endian, anything else big-endian; the TIFF
// mark 0x2A; then IFD0's 12-byte entries in order, each of the tags ExifReader knows parsed with
// its bounds checks. The first out-of-bounds read ends the walk, keeping the tags read before it,
// so an Orientation entry after a damaged one is ignored, as there. 0 when there is none.
class ExifOrientation {
 public:
  ExifOrientation(const uint8_t* data, size_t size)
      : data_(data), size_(size), intel_(size > 1 && data[0] == 'I' && data[1] == 'I') {}

  int find() const {
    // A block of one byte, or whose first two bytes differ, is read big-endian too.
    uint16_t orientation = 0;
    if (!u16(2, orientation) || orientation != 0x2A) return 0;
    uint32_t offset = 0;
    uint16_t entries = 0;
    if (!u32(4, offset) || !u16(offset, entries)) return 0;
    offset += 2;
    for (uint16_t i = 0; i < entries; ++i, offset += 12) {
      uint16_t tag = 0;
      if (!u16(offset, tag)) return 0;
      switch (tag) {
        case 0x0112:  // ORIENTATION
          return u16(offset + size_t{8}, orientation) ? orientation : 0;
        case 0x010E:  // IMAGE_DESCRIPTION
        case 0x010F:  // MAKE
        case 0x0110:  // MODEL
        case 0x0131:  // SOFTWARE
        case 0x0132:  // DATE_TIME
        case 0x8298:  // COPYRIGHT
          if (!string_fits(offset)) return 0;
          break;
        case 0x011A:  // XRESOLUTION
        case 0x011B:  // YRESOLUTION
          if (!rationals_fit(offset, 1)) return 0;
          break;
        case 0x013E:  // WHITE_POINT
          if (!rationals_fit(offset, 2)) return 0;
          break;
        case 0x013F:  // PRIMARY_CHROMATICIES
        case 0x0214:  // REFERENCE_BLACK_WHITE
          if (!rationals_fit(offset, 6)) return 0;
          break;
        case 0x0211:  // Y_CB_CR_COEFFICIENTS
          if (!rationals_fit(offset, 3)) return 0;
          break;
        case 0x0128:  // RESOLUTION_UNIT
        case 0x0213:  // Y_CB_CR_POSITIONING
          if (!u16(offset + size_t{8}, tag)) return 0;
          break;
        default:  // EXIF_OFFSET and unknown tags: nothing read
          break;
      }
    }
    return 0;
  }

 private:
  bool u16(size_t at, uint16_t& v) const {
    if (at + 1 >= size_) return false;
    v = intel_ ? static_cast<uint16_t>(data_[at] | data_[at + 1] << 8)
               : static_cast<uint16_t>(data_[at] << 8 | data_[at + 1]);
    return true;
  }
  bool u32(size_t at, uint32_t& v) const {
    if (at + 3 >= size_) return false;
    const uint32_t b0 = data_[at], b1 = data_[at + 1], b2 = data_[at + 2], b3 = data_[at + 3];
    v = intel_ ? b0 | b1 << 8 | b2 << 16 | b3 << 24 : b0 << 24 | b1 << 16 | b2 << 8 | b3;
    return true;
  }
  // ExifReader::getString: a count, and the text inline (at byte 8 of the block, as it reads it)
  // or at an offset.
  bool string_fits(size_t entry) const {
    uint32_t count = 0, at = 8;
    if (!u32(entry + 4, count)) return false;
    if (count > 4 && !u32(entry + 8, at)) return false;
    return at <= size_ && size_t{at} + count <= size_;
  }
  // ExifReader::getURational n times from the offset in the entry, 8 bytes apart (32-bit sums).
  bool rationals_fit(size_t entry, int n) const {
    uint32_t at = 0, v = 0;
    if (!u32(entry + 8, at)) return false;
    for (int i = 0; i < n; ++i, at += 8) {
      if (!u32(at, v) || !u32(size_t{at} + 4, v)) return false;
    }
    return true;
  }

  const uint8_t* data_;
  size_t size_;
  bool intel_;
};

// The image turned as cv::imread turns it for EXIF orientation 2-8 (opencv loadsave.cpp
// ExifTransform: flips, or a transpose then a flip); any other value leaves it as it is.
Image orient(Image image, int orientation) {
  if (orientation < 2 || orientation > 8) return image;
  const bool transpose = orientation >= 5;
  const bool flip_x = orientation == 2 || orientation == 3 || orientation == 6 || orientation == 7;
  const bool flip_y = orientation == 3 || orientation == 4 || orientation == 7 || orientation == 8;
  Image out;
  out.width = transpose ? image.height : image.width;
  out.height = transpose ? image.width : image.height;
  out.channels = image.channels;
  out.pixels.resize(image.pixels.size());
  const size_t c = static_cast<size_t>(image.channels);
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      // The flip applies to the transposed image: undo it first, then the transpose.
      const int ty = flip_y ? out.height - 1 - y : y, tx = flip_x ? out.width - 1 - x : x;
      const int sy = transpose ? tx : ty, sx = transpose ? ty : tx;
      std::memcpy(&out.pixels[(static_cast<size_t>(y) * out.width + x) * c],
                  &image.pixels[(static_cast<size_t>(sy) * image.width + sx) * c], c);
    }
  }
  return out;
}

}  // namespace

Image decode_png_image(const uint8_t* data, size_t size, int channels, const std::string& name) {
  if (channels != 1 && channels != 3) {
    throw Error(name, "cannot be read with " + std::to_string(channels) + " channels",
                "ask for 3 (BGR) or 1 (grey)");
  }
  // Only PNGs: the avatar layout names PNGs (PNG specification 5.2: the 8-byte signature).
  if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
    throw Error(name, "not a readable PNG image (no PNG signature)", kDamagedFix);
  }
  Source src;
  src.data = data;
  src.size = size;
  ReadStruct s;
  s.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, on_error, on_warning);
  if (s.png) s.info = png_create_info_struct(s.png);
  if (s.png) s.end = png_create_info_struct(s.png);
  if (!s.png || !s.info || !s.end)
    throw Error(name, "cannot be decoded: out of memory", "free some memory and try again");
  png_set_read_fn(s.png, &src, read_bytes);
  auto damaged = [&] {
    return Error(name, std::string("not a readable PNG image (") + src.error + ")", kDamagedFix);
  };

  Header header;
  if (!read_header(s.png, s.info, header)) throw damaged();
  if (uint64_t{header.width} * header.height > kMaxPixels) {
    throw Error(name,
                "is " + std::to_string(header.width) + "x" + std::to_string(header.height) +
                    ", more than the 2^30 pixels cv2.imread reads",
                "use a smaller image");
  }
  Image image;
  image.width = static_cast<int>(header.width);
  image.height = static_cast<int>(header.height);
  image.channels = channels;
  const size_t row_bytes = static_cast<size_t>(image.width) * channels;
  image.pixels.resize(row_bytes * image.height);
  std::vector<png_bytep> rows(image.height);
  for (int y = 0; y < image.height; ++y) rows[y] = image.pixels.data() + row_bytes * y;

  ExifBlock exif;
  if (!read_pixels(s.png, s.info, s.end, header, channels, row_bytes, rows.data(), exif, src)) {
    throw damaged();
  }
  const int orientation = exif.data ? ExifOrientation(exif.data, exif.size).find() : 0;
  return orient(std::move(image), orientation);
}

Image read_png_image(const std::string& path, int channels) {
  const std::vector<uint8_t> bytes = files::read_whole_file(path);
  return decode_png_image(bytes.data(), bytes.size(), channels, path);
}

}  // namespace musetalk::avatar
