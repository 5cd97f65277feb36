#include "files/atomic_file.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "files/error.h"

namespace musetalk::files {

void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write) {
  const std::string tmp = path + ".part";
  try {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out)
      throw Error(path, "cannot be written", "check that the folder exists and is writable");
    write(out);
    if (!out.flush()) throw Error(path, "write failed", "check free disk space");
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw Error(path, "cannot be written: " + ec.message());
  }
}

}  // namespace musetalk::files
