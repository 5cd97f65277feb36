#pragma once
// Reading files: whole, or by byte range. Opening errors become Errors that name the path; a
// range outside the file is a FormatError, so a damaged header can never ask for more memory than
// the file holds.

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace musetalk::files {

class FileSource {
 public:
  explicit FileSource(const std::string& path);

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }
  std::vector<uint8_t> read(uint64_t offset, uint64_t n);
  std::shared_ptr<const std::vector<uint8_t>> read_shared(uint64_t offset, uint64_t n);

 private:
  std::string path_;
  std::ifstream stream_;
  uint64_t size_ = 0;
};

std::vector<uint8_t> read_whole_file(const std::string& path);
std::string read_text_file(const std::string& path);

}  // namespace musetalk::files
