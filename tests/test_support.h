#pragma once
// Where tests find the shared fixtures and media, and small helpers they share.

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

namespace musetalk::test {

inline std::string shared_dir() {
  return MUSETALK_SHARED_DIR;
}

inline std::string fixtures_dir() {
  const char* env = std::getenv("MUSETALK_FIXTURES");
  return env && *env ? env : shared_dir() + "/fixtures";
}

inline std::string media_dir() {
  return shared_dir() + "/media";
}

// The sample avatar and voice clip shipped in the repository.
inline std::string sample_dir() {
  return std::string(MUSETALK_SOURCE_DIR) + "/data/sample";
}

// A fresh empty folder under the system temp dir, removed when the object goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline TempDir::TempDir() {
  auto base = std::filesystem::temp_directory_path();
  for (int i = 0;; ++i) {
    path_ = base /
            ("musetalk-test-" + std::to_string(std::random_device{}()) + "-" + std::to_string(i));
    if (std::filesystem::create_directory(path_)) break;
  }
}

inline TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace musetalk::test
