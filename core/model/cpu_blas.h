#pragma once
// Debian's LibTorch calls whatever libblas.so.3 the system points to; the reference BLAS makes
// every Linear and attention ~50x slower than OpenBLAS (DESIGN.md). This finds out which one
// this process loaded.

#include <string>

namespace musetalk {

// The resolved path of the BLAS library mapped into this process ("" if none is visible).
std::string loaded_blas_library();

// A one-line warning when the loaded BLAS is the slow reference implementation, else "".
std::string reference_blas_warning();

}  // namespace musetalk
