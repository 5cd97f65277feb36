#include "files/file_source.h"

#include <filesystem>
#include <system_error>

#include "files/error.h"

namespace musetalk::files {

namespace fs = std::filesystem;

FileSource::FileSource(const std::string& path) : path_(path) {
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    throw Error(path, "file not found",
                "check the path, or download the file (see models/README.md)");
  }
  if (fs::is_directory(st)) throw Error(path, "is a folder, expected a file");
  stream_.open(path, std::ios::binary);
  if (!stream_) throw Error(path, "cannot be opened for reading", "check its permissions");
  size_ = fs::file_size(path, ec);
  if (ec) throw Error(path, "cannot read its size: " + ec.message());
}

std::vector<uint8_t> FileSource::read(uint64_t offset, uint64_t n) {
  if (offset > size_ || n > size_ - offset) {
    throw FormatError("byte range " + std::to_string(offset) + "+" + std::to_string(n) +
                      " lies outside the file (" + std::to_string(size_) + " bytes)");
  }
  std::vector<uint8_t> out(static_cast<size_t>(n));
  stream_.clear();
  stream_.seekg(static_cast<std::streamoff>(offset));
  stream_.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(n));
  if (static_cast<uint64_t>(stream_.gcount()) != n) {
    throw Error(path_, "read failed at byte " + std::to_string(offset), "check the disk");
  }
  return out;
}

std::shared_ptr<const std::vector<uint8_t>> FileSource::read_shared(uint64_t offset, uint64_t n) {
  return std::make_shared<const std::vector<uint8_t>>(read(offset, n));
}

std::vector<uint8_t> read_whole_file(const std::string& path) {
  FileSource f(path);
  return f.read(0, f.size());
}

std::string read_text_file(const std::string& path) {
  std::vector<uint8_t> bytes = read_whole_file(path);
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace musetalk::files
