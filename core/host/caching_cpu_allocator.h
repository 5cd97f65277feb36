#pragma once
// A caching allocator for LibTorch's CPU tensors. Every large activation LibTorch frees goes back
// to glibc, which returns it to the kernel (munmap); the next batch maps it again and the kernel
// zero-fills it page by page. On a 2-core machine that churn cost as much system time as the
// networks' own user time (bench/RESULTS.md). This allocator keeps freed blocks of 1 MiB and more
// in a bounded cache and hands them out again for requests of the same size class, so a steady
// render or stream maps its working set once.
//
// Process-wide (c10::SetCPUAllocator), so only a host program installs it, once, at start: the
// `musetalk` tool, a benchmark, the OBS module when it loads.

#include <cstddef>
#include <cstdint>

namespace musetalk::host {

struct CpuAllocatorStats {
  int64_t allocations = 0;      // requests of at least the cached minimum size
  int64_t reused = 0;           // of those, served from the cache
  int64_t cached_bytes = 0;     // held free in the cache now
  int64_t allocated_bytes = 0;  // held by live tensors now (cacheable sizes only)
  int64_t peak_bytes = 0;       // most ever held, live and cached together
};

// Installs the caching allocator as LibTorch's CPU allocator (idempotent). cache_limit_bytes
// bounds the free memory it keeps (0: a quarter of physical memory, at most 8 GiB); blocks freed
// beyond it go back to the system. Tensors allocated before keep their own deleters.
void use_caching_cpu_allocator(int64_t cache_limit_bytes = 0);

// Counters of the installed allocator (all zero when it is not installed).
CpuAllocatorStats caching_cpu_allocator_stats();

}  // namespace musetalk::host
