#pragma once
// What a bug report needs to say about the running engine: the LibTorch it runs on, the devices
// LibTorch finds and the BLAS library that actually serves its matrix products (Debian chooses
// libblas.so.3 through update-alternatives, so the library loaded can differ from the one
// LibTorch was built against). `musetalk --version` prints it.

#include <string>

namespace musetalk::host {

// Lines of "name: value" text, newline-terminated:
//   LibTorch: 1.13.0 (CPU build) | 2.5.1 (CUDA 12.4)
//   CPU: N cores
//   CUDA: none | K device(s), cuDNN V
//   BLAS: <library file> (<OpenBLAS config line>, T threads) | not found
// Never throws; a value that cannot be found reads "unknown".
std::string runtime_report();

}  // namespace musetalk::host
