#pragma once
// Debian's LibTorch calls whatever libblas.so.3 the system's alternatives point to. The reference
// BLAS (Debian's libblas3: plain loops, one thread, no vector kernels) makes every Linear and
// attention many times slower than an optimised one such as OpenBLAS (libopenblas0-pthread,
// which ./dev installs). This finds out which one this process loaded.

#include <string>

namespace musetalk {

// The resolved path of the BLAS library mapped into this process ("" if none is visible).
std::string loaded_blas_library();

// A one-line warning when the loaded BLAS is the slow reference implementation, else "".
std::string reference_blas_warning();

}  // namespace musetalk
