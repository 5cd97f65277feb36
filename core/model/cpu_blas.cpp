#include "model/cpu_blas.h"

#include <filesystem>
#include <fstream>

namespace musetalk {

std::string loaded_blas_library() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const size_t slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    if (path.find("libblas.so") == std::string::npos &&
        path.find("openblas") == std::string::npos) {
      continue;
    }
    std::error_code ec;
    std::filesystem::path real = std::filesystem::canonical(path, ec);
    return ec ? path : real.string();
  }
  return "";
}

std::string reference_blas_warning() {
  const std::string blas = loaded_blas_library();
  // Debian installs the reference BLAS as .../blas/libblas.so.3; optimised ones live elsewhere
  // (openblas-pthread/, blis-openmp/, ...).
  if (blas.find("/blas/libblas.so") == std::string::npos) return "";
  return "warning: LibTorch is using the reference BLAS (" + blas +
         "), which makes CPU inference very slow; install libopenblas0-pthread";
}

}  // namespace musetalk
