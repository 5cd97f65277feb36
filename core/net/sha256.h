#pragma once
// SHA-256 (FIPS 180-4) through OpenSSL's libcrypto (EVP_Digest* API), streaming: feed any number
// of update() calls, then finish().

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace musetalk::net {

class Sha256 {
 public:
  // Throws musetalk::Error when libcrypto cannot set up a SHA-256 context.
  Sha256();
  Sha256(Sha256&&) noexcept = default;
  Sha256& operator=(Sha256&&) noexcept = default;

  void update(const void* data, size_t size);
  void update(const std::string& data) { update(data.data(), data.size()); }
  // The digest as 64 lowercase hex characters. The object is reset afterwards.
  std::string finish_hex();
  // The 32 digest bytes. The object is reset afterwards.
  std::array<uint8_t, 32> finish();
  // Starts over as if newly constructed.
  void reset();

 private:
  struct ContextDeleter {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, ContextDeleter> ctx_;
};

// SHA-256 of a whole string, hex.
std::string sha256_hex(const std::string& data);

// SHA-256 of a file's contents, hex; throws musetalk::Error naming the file when it cannot be
// read.
std::string sha256_file_hex(const std::string& path);

}  // namespace musetalk::net
