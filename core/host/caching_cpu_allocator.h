#pragma once
// A caching allocator for LibTorch's CPU tensors. Every large activation LibTorch frees goes back
// to glibc, which returns it to the kernel (munmap); the next batch maps it again and the kernel
// zero-fills it page by page. On a 2-core machine that churn cost as much system time as the
// networks' own user time (bench/RESULTS.md, "CPU time lost to the kernel"). This allocator keeps
// freed blocks of 1 MiB and more in a bounded cache and hands them out again for requests of the
// same size class, so a steady render or stream maps its working set once.
//
// Process-wide (c10::SetCPUAllocator), so only a host program installs it, once, at start: the
// `musetalk` tool, a benchmark, or a plugin host's module when it loads.

#include <cstddef>
#include <cstdint>

namespace musetalk::host {

struct CpuAllocatorStats {
  bool installed = false;
  int64_t allocations = 0;      // requests of at least the cached minimum size
  int64_t reused = 0;           // of those, served from the cache
  int64_t cached_bytes = 0;     // held free in the cache now
  int64_t allocated_bytes = 0;  // held by live tensors now (cacheable sizes only)
  int64_t peak_bytes = 0;       // most ever held, live and cached together
};

// Installs the caching allocator as LibTorch's CPU allocator (idempotent). cache_limit_bytes
// bounds the free memory it keeps (0: a quarter of physical memory, at most 8 GiB); blocks freed
// beyond it go back to the system. Tensors allocated before keep their own deleters. When the
// system refuses memory, the cache is emptied and the request tried once more before LibTorch's
// c10::OutOfMemoryError (naming the size) is thrown.
void use_caching_cpu_allocator(int64_t cache_limit_bytes = 0);

// Gives every cached free block back to the system (a long-running host that goes idle).
void trim_caching_cpu_allocator();

// Counters of the installed allocator (installed false and all zero when it is not).
CpuAllocatorStats caching_cpu_allocator_stats();

}  // namespace musetalk::host
