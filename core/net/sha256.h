#pragma once
// SHA-256 (FIPS 180-4), streaming: feed any number of update() calls, then finish().

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace musetalk::net {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(const std::string& data) { update(data.data(), data.size()); }
  // The digest as 64 lowercase hex characters. The object is reset afterwards.
  std::string finish_hex();
  std::array<uint8_t, 32> finish();

 private:
  void reset();
  void compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_;
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

// SHA-256 of a whole string, hex.
std::string sha256_hex(const std::string& data);

// SHA-256 of a file's contents, hex; throws musetalk::Error when it cannot be read.
std::string sha256_file_hex(const std::string& path);

}  // namespace musetalk::net
