#pragma once
// CPU threads for inference: LibTorch's intra-op pool and, when LibTorch's BLAS is OpenBLAS,
// OpenBLAS's own pool. Process-wide, so only a host program (the `musetalk` tool, a benchmark,
// a plugin module) sets them, once, at start; the engine never does.

namespace musetalk::host {

// threads <= 0: every core (LibTorch on Debian otherwise may run on a single one).
// blas_threads <= 0: the same count as threads. One OpenBLAS thread saves the time its idle
// threads spend spinning, but the real UNet and VAE run 40-60% slower (bench/RESULTS.md).
void set_cpu_threads(int threads, int blas_threads = 0);

// The thread count OpenBLAS reports, or 0 when LibTorch's BLAS is not OpenBLAS.
int openblas_threads();

}  // namespace musetalk::host
