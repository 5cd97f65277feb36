#include "net/sha256.h"

#include <openssl/evp.h>

#include <fstream>
#include <vector>

#include "files/error.h"

namespace musetalk::net {
namespace {

[[noreturn]] void throw_openssl(const char* what) {
  throw Error("SHA-256", std::string("libcrypto failed: ") + what,
              "reinstall OpenSSL's libcrypto (Debian: libssl3)");
}

}  // namespace

void Sha256::ContextDeleter::operator()(evp_md_ctx_st* ctx) const {
  EVP_MD_CTX_free(ctx);
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) throw_openssl("EVP_MD_CTX_new");
  reset();
}

void Sha256::reset() {
  if (EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) {
    throw_openssl("EVP_DigestInit_ex");
  }
}

void Sha256::update(const void* data, size_t size) {
  if (size == 0) return;
  if (EVP_DigestUpdate(ctx_.get(), data, size) != 1) throw_openssl("EVP_DigestUpdate");
}

std::array<uint8_t, 32> Sha256::finish() {
  std::array<uint8_t, 32> digest;
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), digest.data(), &length) != 1 || length != digest.size()) {
    throw_openssl("EVP_DigestFinal_ex");
  }
  reset();
  return digest;
}

std::string Sha256::finish_hex() {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : finish()) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::string sha256_hex(const std::string& data) {
  Sha256 h;
  h.update(data);
  return h.finish_hex();
}

std::string sha256_file_hex(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(path, "cannot open the file to compute its SHA-256",
                "check that it exists and is readable");
  }
  Sha256 h;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) h.update(buf.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) {
    throw Error(path, "read error while computing its SHA-256", "check the disk and run again");
  }
  return h.finish_hex();
}

}  // namespace musetalk::net
