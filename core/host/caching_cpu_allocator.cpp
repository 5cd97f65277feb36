#include "host/caching_cpu_allocator.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/util/Exception.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

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

void* try_aligned(size_t n) {
  void* p = nullptr;
  return posix_memalign(&p, kAlignment, n) == 0 ? p : nullptr;
}

class CachingCpuAllocator final : public c10::Allocator {
 public:
  explicit CachingCpuAllocator(int64_t limit) : limit_(limit) {}

  // LibTorch 2.3 made allocate() non-const and added copy_data(); declaring both forms (without
  // `override`) fits every LibTorch from 1.13 on: each version overrides the one it declares.
  c10::DataPtr allocate(size_t n) const { return allocate_block(n); }
  c10::DataPtr allocate(size_t n) { return allocate_block(n); }
  void copy_data(void* dest, const void* src, size_t count) const {
    std::copy_n(static_cast<const char*>(src), count, static_cast<char*>(dest));
  }

  // oneDNN allocates through raw_allocate/raw_deallocate, which need the context to be the data
  // pointer and a deleter that takes it.
  c10::DeleterFnPtr raw_deleter() const override { return &free_block; }

  CpuAllocatorStats stats() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

  // Frees every cached block.
  void trim() const {
    std::multimap<size_t, void*> cached;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      cached.swap(free_);
      stats_.cached_bytes = 0;
    }
    for (const auto& entry : cached) std::free(entry.second);
  }

  void release(void* data) const;

 private:
  c10::DataPtr allocate_block(size_t n) const {
    void* data = nullptr;
    if (n >= kMinCached) {
      data = take_cached(round_up(n));
    } else if (n > 0) {
      data = system_alloc(n, n);
    }
    return {data, data, &free_block, c10::Device(c10::DeviceType::CPU)};
  }

  // A cached block for `size` bytes, or a new one; recorded as live either way.
  void* take_cached(size_t size) const {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++stats_.allocations;
      auto it = free_.lower_bound(size);
      if (it != free_.end() && it->first - size <= it->first / 8) {
        void* data = it->second;
        const size_t block_size = it->first;
        free_.erase(it);
        ++stats_.reused;
        stats_.cached_bytes -= static_cast<int64_t>(block_size);
        note_live(data, block_size);
        return data;
      }
    }
    void* data = system_alloc(size, size);  // outside the lock: the kernel may take a while
    std::lock_guard<std::mutex> lock(mutex_);
    note_live(data, size);
    return data;
  }

  void note_live(void* data, size_t size) const {
    live_.emplace(data, size);
    stats_.allocated_bytes += static_cast<int64_t>(size);
    stats_.peak_bytes = std::max(stats_.peak_bytes, stats_.allocated_bytes + stats_.cached_bytes);
  }

  // The system's memory, or, when it refuses, the same after giving the cache back.
  void* system_alloc(size_t size, size_t requested) const {
    void* p = try_aligned(size);
    if (!p) {
      trim();
      p = try_aligned(size);
    }
    TORCH_CHECK_WITH(OutOfMemoryError, p != nullptr, "CPU out of memory: tried to allocate ",
                     requested, " bytes");
    return p;
  }

  static void free_block(void* data);

  const int64_t limit_;
  mutable std::mutex mutex_;
  mutable std::multimap<size_t, void*> free_;       // size -> block, the free cache
  mutable std::unordered_map<void*, size_t> live_;  // cacheable blocks in use -> size
  mutable CpuAllocatorStats stats_;
};

// Never destroyed: LibTorch may free tensors during static destruction, after any object of
// ours would be gone.
std::atomic<CachingCpuAllocator*> g_allocator{nullptr};
std::once_flag g_install;

// Keeps a cacheable block while the cache has room; frees everything else.
void CachingCpuAllocator::release(void* data) const {
  if (malloc_usable_size(data) >= kMinCached) {  // smaller blocks were never cacheable
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

void CachingCpuAllocator::free_block(void* data) {
  if (data) g_allocator.load(std::memory_order_acquire)->release(data);
}

int64_t default_limit() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  const int64_t physical = pages > 0 && page > 0 ? int64_t{pages} * page : int64_t{4} << 30;
  return std::min(physical / 4, kMaxDefaultLimit);
}

}  // namespace

void use_caching_cpu_allocator(int64_t cache_limit_bytes) {
  std::call_once(g_install, [cache_limit_bytes] {
    auto* allocator =
        new CachingCpuAllocator(cache_limit_bytes > 0 ? cache_limit_bytes : default_limit());
    g_allocator.store(allocator, std::memory_order_release);
    // Above the priority LibTorch registers its default CPU allocator with.
    c10::SetCPUAllocator(allocator, /*priority=*/100);
  });
}

void trim_caching_cpu_allocator() {
  if (CachingCpuAllocator* a = g_allocator.load(std::memory_order_acquire)) a->trim();
}

CpuAllocatorStats caching_cpu_allocator_stats() {
  CachingCpuAllocator* a = g_allocator.load(std::memory_order_acquire);
  if (!a) return {};
  CpuAllocatorStats s = a->stats();
  s.installed = true;
  return s;
}

}  // namespace musetalk::host
