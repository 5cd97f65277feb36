#pragma once
// Bounds-checked little-endian reading over a byte range. Every read that would leave the range
// throws FormatError, so no parser can read past the end of a truncated file.

#include <cstddef>
#include <cstdint>
#include <string>

namespace musetalk::files {

class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  size_t position() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }
  bool at_end() const { return pos_ == size_; }
  void seek(size_t pos);
  void skip(size_t n);

  uint8_t u8();
  uint16_t u16();
  uint32_t u32();
  uint64_t u64();
  int32_t i32() { return static_cast<int32_t>(u32()); }
  int64_t i64() { return static_cast<int64_t>(u64()); }
  double f64();
  // Returns a pointer to the next n bytes and advances past them.
  const uint8_t* take(size_t n);
  std::string string(size_t n);
  // Reads up to and excluding the next '\n' (text pickle opcodes).
  std::string line();

 private:
  void need(size_t n) const;

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Little-endian loads from memory the caller has already bounds-checked.
uint16_t load_u16(const uint8_t* p);
uint32_t load_u32(const uint8_t* p);
uint64_t load_u64(const uint8_t* p);

}  // namespace musetalk::files
