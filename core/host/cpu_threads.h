#pragma once
// LibTorch's intra-op thread count for CPU inference. Process-wide, so only a host program (the
// `musetalk` tool, a benchmark, the OBS module) sets it, once, at start; the engine never does.

namespace musetalk::host {

// threads <= 0: every core. LibTorch on Debian otherwise may run on a single one.
void set_cpu_threads(int threads);

}  // namespace musetalk::host
