#include "files/byte_reader.h"

#include <cstring>

#include "files/error.h"

namespace musetalk::files {

uint16_t load_u16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

uint32_t load_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

uint64_t load_u64(const uint8_t* p) {
  return static_cast<uint64_t>(load_u32(p)) | (static_cast<uint64_t>(load_u32(p + 4)) << 32);
}

void ByteReader::need(size_t n) const {
  if (n > size_ - pos_) {
    throw FormatError("unexpected end of data at byte " + std::to_string(pos_) + " (needed " +
                      std::to_string(n) + " more bytes, " + std::to_string(size_ - pos_) +
                      " left)");
  }
}

void ByteReader::seek(size_t pos) {
  if (pos > size_) {
    throw FormatError("offset " + std::to_string(pos) + " lies past the end (" +
                      std::to_string(size_) + " bytes)");
  }
  pos_ = pos;
}

void ByteReader::skip(size_t n) {
  need(n);
  pos_ += n;
}

uint8_t ByteReader::u8() {
  need(1);
  return data_[pos_++];
}

uint16_t ByteReader::u16() {
  need(2);
  uint16_t v = load_u16(data_ + pos_);
  pos_ += 2;
  return v;
}

uint32_t ByteReader::u32() {
  need(4);
  uint32_t v = load_u32(data_ + pos_);
  pos_ += 4;
  return v;
}

uint64_t ByteReader::u64() {
  need(8);
  uint64_t v = load_u64(data_ + pos_);
  pos_ += 8;
  return v;
}

double ByteReader::f64() {
  uint64_t bits = u64();
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

const uint8_t* ByteReader::take(size_t n) {
  need(n);
  const uint8_t* p = data_ + pos_;
  pos_ += n;
  return p;
}

std::string ByteReader::string(size_t n) {
  const uint8_t* p = take(n);
  return std::string(reinterpret_cast<const char*>(p), n);
}

std::string ByteReader::line() {
  const void* nl = std::memchr(data_ + pos_, '\n', size_ - pos_);
  if (nl == nullptr) throw FormatError("unterminated text line at byte " + std::to_string(pos_));
  size_t n = static_cast<const uint8_t*>(nl) - (data_ + pos_);
  std::string s = string(n);
  pos_ += 1;
  return s;
}

}  // namespace musetalk::files
