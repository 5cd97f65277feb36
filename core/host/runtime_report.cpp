#include "host/runtime_report.h"

#include <ATen/detail/CUDAHooksInterface.h>
#include <dlfcn.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <filesystem>
#include <sstream>
#include <thread>

#include "host/cpu_threads.h"

namespace musetalk::host {
namespace {

// The file that the dynamic linker bound the Fortran BLAS entry sgemm_ to: the BLAS LibTorch's
// CPU matrix products call.
std::string blas_library() {
  void* symbol = dlsym(RTLD_DEFAULT, "sgemm_");
  Dl_info info{};
  if (symbol == nullptr || dladdr(symbol, &info) == 0 || info.dli_fname == nullptr) return "";
  std::error_code ec;
  const std::filesystem::path resolved = std::filesystem::canonical(info.dli_fname, ec);
  return ec ? std::string(info.dli_fname) : resolved.string();
}

std::string openblas_config() {
  auto get = reinterpret_cast<const char* (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
  const char* config = get ? get() : nullptr;
  return config ? config : "";
}

std::string torch_line() {
  std::string line = TORCH_VERSION;
  const auto& cuda = at::detail::getCUDAHooks();
  if (!cuda.hasCUDART()) return line + " (CPU build)";
  const long runtime = cuda.versionCUDART();  // e.g. 12040 for 12.4
  return line + " (CUDA " + std::to_string(runtime / 1000) + "." +
         std::to_string(runtime % 1000 / 10) + ")";
}

std::string cuda_line() {
  const size_t count = torch::cuda::device_count();
  if (count == 0) return "none";
  std::string line = std::to_string(count) + " device(s)";
  if (torch::cuda::cudnn_is_available()) {
    line += ", cuDNN " + std::to_string(at::detail::getCUDAHooks().versionCuDNN());
  }
  return line;
}

}  // namespace

std::string runtime_report() {
  std::ostringstream out;
  out << "LibTorch: " << torch_line() << '\n';
  out << "CPU: " << std::thread::hardware_concurrency() << " cores\n";
  try {
    out << "CUDA: " << cuda_line() << '\n';
  } catch (const std::exception&) {
    out << "CUDA: unknown\n";
  }
  const std::string blas = blas_library();
  out << "BLAS: " << (blas.empty() ? std::string("not found") : blas);
  const std::string config = openblas_config();
  if (!config.empty()) out << " (" << config << ", " << openblas_threads() << " threads)";
  out << '\n';
  return out.str();
}

}  // namespace musetalk::host
