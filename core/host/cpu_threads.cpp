#include "host/cpu_threads.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <algorithm>
#include <thread>

namespace musetalk::host {
namespace {

// OpenBLAS's C API, looked up at run time: Debian picks the BLAS LibTorch calls through the
// libblas.so.3 alternative, so it may be OpenBLAS, BLIS or the reference BLAS.
template <typename Fn>
Fn openblas_symbol(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}

}  // namespace

void set_cpu_threads(int threads, int blas_threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  if (blas_threads <= 0) blas_threads = threads;
  if (auto set = openblas_symbol<void (*)(int)>("openblas_set_num_threads")) set(blas_threads);
}

int openblas_threads() {
  auto get = openblas_symbol<int (*)()>("openblas_get_num_threads");
  return get ? get() : 0;
}

}  // namespace musetalk::host
