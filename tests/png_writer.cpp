#include "png_writer.h"

#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <fstream>
#include <random>
#include <stdexcept>

namespace musetalk::test {
namespace {

struct Sink {
  std::vector<uint8_t> bytes;
  char error[256] = {};
};

void write_bytes(png_structp png, png_bytep data, size_t n) {
  auto* sink = static_cast<Sink*>(png_get_io_ptr(png));
  sink->bytes.insert(sink->bytes.end(), data, data + n);
}

void flush(png_structp) {}

[[noreturn]] void on_error(png_structp png, png_const_charp message) {
  auto* sink = static_cast<Sink*>(png_get_error_ptr(png));
  std::snprintf(sink->error, sizeof sink->error, "%s", message);
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}

// The rows as the format stores them: samples packed most significant bits first below 8 bits,
// big-endian at 16.
std::vector<std::vector<uint8_t>> pack_rows(const PngSpec& s) {
  const int per_row = s.width * png_samples_per_pixel(s.colour_type);
  std::vector<std::vector<uint8_t>> rows(s.height);
  for (int y = 0; y < s.height; ++y) {
    std::vector<uint8_t>& row = rows[y];
    row.assign((static_cast<size_t>(per_row) * s.bit_depth + 7) / 8, 0);
    for (int i = 0; i < per_row; ++i) {
      const uint16_t v = s.samples.at(static_cast<size_t>(y) * per_row + i);
      if (s.bit_depth == 16) {
        row[2 * i] = static_cast<uint8_t>(v >> 8);
        row[2 * i + 1] = static_cast<uint8_t>(v);
      } else if (s.bit_depth == 8) {
        row[i] = static_cast<uint8_t>(v);
      } else {
        const int bit = i * s.bit_depth;
        row[bit / 8] |= static_cast<uint8_t>(v << (8 - s.bit_depth - bit % 8));
      }
    }
  }
  return rows;
}

// The libpng calls, in a frame with nothing to destroy: libpng's errors longjmp back here.
bool write_png(png_structp png, png_infop info, const PngSpec& s, png_bytepp rows,
               png_colorp palette, png_bytep palette_alpha, png_color_16p trans_colour) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_IHDR(png, info, s.width, s.height, s.bit_depth, s.colour_type,
               s.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (s.colour_type == PNG_COLOR_TYPE_PALETTE) {
    png_set_PLTE(png, info, palette, static_cast<int>(s.palette.size() / 3));
  }
  if (!s.transparency.empty()) {
    const bool indexed = s.colour_type == PNG_COLOR_TYPE_PALETTE;
    png_set_tRNS(png, info, indexed ? palette_alpha : nullptr,
                 indexed ? static_cast<int>(s.transparency.size()) : 1,
                 indexed ? nullptr : trans_colour);
  }
  png_bytep exif = const_cast<png_bytep>(s.exif.data());
  const auto exif_size = static_cast<png_uint_32>(s.exif.size());
  if (!s.exif.empty() && !s.exif_after_pixels) png_set_eXIf_1(png, info, exif_size, exif);
  png_write_info(png, info);
  png_write_image(png, rows);
  // Set after png_write_info, png_write_end writes the chunk after IDAT.
  if (!s.exif.empty() && s.exif_after_pixels) png_set_eXIf_1(png, info, exif_size, exif);
  png_write_end(png, info);
  return true;
}

void put16(std::vector<uint8_t>& out, uint16_t v, bool intel) {
  out.push_back(static_cast<uint8_t>(intel ? v : v >> 8));
  out.push_back(static_cast<uint8_t>(intel ? v >> 8 : v));
}

void put32(std::vector<uint8_t>& out, uint32_t v, bool intel) {
  put16(out, static_cast<uint16_t>(intel ? v : v >> 16), intel);
  put16(out, static_cast<uint16_t>(intel ? v >> 16 : v), intel);
}

}  // namespace

int png_samples_per_pixel(int colour_type) {
  switch (colour_type) {
    case PNG_COLOR_TYPE_RGB:
      return 3;
    case PNG_COLOR_TYPE_GRAY_ALPHA:
      return 2;
    case PNG_COLOR_TYPE_RGB_ALPHA:
      return 4;
    default:
      return 1;
  }
}

std::vector<uint8_t> encode_png(const PngSpec& s) {
  std::vector<std::vector<uint8_t>> packed = pack_rows(s);
  std::vector<png_bytep> rows;
  for (auto& r : packed) rows.push_back(r.data());
  std::vector<png_color> palette;
  for (size_t i = 0; i + 2 < s.palette.size(); i += 3) {
    palette.push_back({s.palette[i], s.palette[i + 1], s.palette[i + 2]});
  }
  std::vector<png_byte> palette_alpha(s.transparency.begin(), s.transparency.end());
  png_color_16 trans_colour{};
  if (s.colour_type == PNG_COLOR_TYPE_GRAY && !s.transparency.empty()) {
    trans_colour.gray = s.transparency[0];
  } else if (s.colour_type == PNG_COLOR_TYPE_RGB && s.transparency.size() == 3) {
    trans_colour.red = s.transparency[0];
    trans_colour.green = s.transparency[1];
    trans_colour.blue = s.transparency[2];
  }

  Sink sink;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, on_error, on_warning);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    throw std::runtime_error("libpng: out of memory");
  }
  png_set_write_fn(png, &sink, write_bytes, flush);
  const bool ok =
      write_png(png, info, s, rows.data(), palette.data(), palette_alpha.data(), &trans_colour);
  png_destroy_write_struct(&png, &info);
  if (!ok) throw std::runtime_error(std::string("libpng: ") + sink.error);
  return std::move(sink.bytes);
}

void write_png_file(const std::string& path, const PngSpec& spec) {
  const std::vector<uint8_t> bytes = encode_png(spec);
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

PngSpec random_png(int colour_type, int bit_depth, int width, int height, uint32_t seed) {
  PngSpec spec;
  spec.width = width;
  spec.height = height;
  spec.colour_type = colour_type;
  spec.bit_depth = bit_depth;
  uint32_t limit = uint32_t{1} << bit_depth;
  if (colour_type == PNG_COLOR_TYPE_PALETTE) {
    limit = std::min<uint32_t>(limit, 256);
    for (uint32_t i = 0; i < limit * 3; ++i)
      spec.palette.push_back(static_cast<uint8_t>(i * 89 + 5));
  }
  std::mt19937 rng(seed);
  spec.samples.resize(static_cast<size_t>(width) * height * png_samples_per_pixel(colour_type));
  for (uint16_t& v : spec.samples) v = static_cast<uint16_t>(rng() % limit);
  return spec;
}

std::vector<uint8_t> exif_orientation_block(int orientation, bool intel) {
  std::vector<uint8_t> b = {static_cast<uint8_t>(intel ? 'I' : 'M'),
                            static_cast<uint8_t>(intel ? 'I' : 'M')};
  put16(b, 0x2A, intel);
  put32(b, 8, intel);       // IFD0 right after the header
  put16(b, 1, intel);       // one entry
  put16(b, 0x0112, intel);  // Orientation
  put16(b, 3, intel);       // SHORT
  put32(b, 1, intel);       // one value
  put16(b, static_cast<uint16_t>(orientation), intel);
  put16(b, 0, intel);  // padding of the 4-byte value field
  put32(b, 0, intel);  // no next IFD
  return b;
}

}  // namespace musetalk::test
