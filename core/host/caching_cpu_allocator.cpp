#include "host/caching_cpu_allocator.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>

namespace musetalk::host {
namespace {

constexpr size_t kAlignment = 64;               // what LibTorch's own CPU allocator guarantees
constexpr size_t kMinCached = size_t{1} << 20;  // smaller blocks: glibc's arenas do well
constexpr size_t kPage = 4096;
constexpr int64_t kMaxDefaultLimit = int64_t{8} << 30;

// Requests are rounded up to a page, and a cached block serves a request up to 1/8 smaller than
// itself: the same network runs the same shapes every batch, so sizes recur almost exactly.
size_t round_up(size_t n) {
  return (n + kPage - 1) / kPage * kPage;
}

class CachingCpuAllocator final : public c10::Allocator {
 public:
  explicit CachingCpuAllocator(int64_t limit) : limit_(limit) {}

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
  c10::DataPtr allocate(size_t n) override {
    return allocate_block(n);
  }
  void copy_data(void* dest, const void* src, size_t count) const override {
    default_copy_data(dest, src, count);
  }
#else
  c10::DataPtr allocate(size_t n) const override {
    return allocate_block(n);
  }
#endif

  // oneDNN allocates through raw_allocate/raw_deallocate, which need the context to be the data
  // pointer and a deleter that takes it.
  c10::DeleterFnPtr raw_deleter() const override {
    return &free_block;
  }

  CpuAllocatorStats stats() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

 private:
  c10::DataPtr allocate_block(size_t n) const {
    void* data = nullptr;
    if (n >= kMinCached) {
      const size_t size = round_up(n);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++stats_.allocations;
        auto it = free_.lower_bound(size);
        size_t block_size = size;
        if (it != free_.end() && it->first - size <= it->first / 8) {
          data = it->second;
          block_size = it->first;
          free_.erase(it);
          ++stats_.reused;
          stats_.cached_bytes -= static_cast<int64_t>(block_size);
        } else {
          data = aligned(size);
        }
        live_.emplace(data, block_size);
        stats_.allocated_bytes += static_cast<int64_t>(block_size);
        stats_.peak_bytes =
            std::max(stats_.peak_bytes, stats_.allocated_bytes + stats_.cached_bytes);
      }
    } else if (n > 0) {
      data = aligned(n);
    }
    return {data, data, &free_block, c10::Device(c10::DeviceType::CPU)};
  }

  static void* aligned(size_t n) {
    void* p = nullptr;
    if (posix_memalign(&p, kAlignment, n) != 0) throw std::bad_alloc();
    return p;
  }

  static void free_block(void* data);

  // Keeps a cacheable block while the cache has room; frees everything else.
  void release(void* data) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = live_.find(data);
      if (it != live_.end()) {
        const size_t size = it->second;
        live_.erase(it);
        stats_.allocated_bytes -= static_cast<int64_t>(size);
        if (stats_.cached_bytes + static_cast<int64_t>(size) <= limit_) {
          free_.emplace(size, data);
          stats_.cached_bytes += static_cast<int64_t>(size);
          return;
        }
      }
    }
    std::free(data);
  }

  const int64_t limit_;
  mutable std::mutex mutex_;
  mutable std::multimap<size_t, void*> free_;       // size -> block, the free cache
  mutable std::unordered_map<void*, size_t> live_;  // cacheable blocks in use -> size
  mutable CpuAllocatorStats stats_;
};

// Never destroyed: LibTorch may free tensors during static destruction, after any object of
// ours would be gone.
CachingCpuAllocator* g_allocator = nullptr;
std::once_flag g_install;

void CachingCpuAllocator::free_block(void* data) {
  if (data) g_allocator->release(data);
}

int64_t default_limit() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  const int64_t physical = pages > 0 && page > 0 ? int64_t{pages} * page : int64_t{4} << 30;
  return std::min(physical / 4, kMaxDefaultLimit);
}

}  // namespace

void use_caching_cpu_allocator(int64_t cache_limit_bytes) {
  std::call_once(g_install, [cache_limit_bytes] {
    g_allocator =
        new CachingCpuAllocator(cache_limit_bytes > 0 ? cache_limit_bytes : default_limit());
    // Above the priority LibTorch registers its default CPU allocator with.
    c10::SetCPUAllocator(g_allocator, /*priority=*/100);
  });
}

CpuAllocatorStats caching_cpu_allocator_stats() {
  return g_allocator ? g_allocator->stats() : CpuAllocatorStats{};
}

}  // namespace musetalk::host
