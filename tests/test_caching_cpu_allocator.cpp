// The caching CPU allocator (host/caching_cpu_allocator.h): installed, it serves LibTorch's CPU
// tensors, reuses freed blocks of the same size class, stays within its cache limit, and works
// for oneDNN's raw allocations (convolutions).
#include <c10/core/CPUAllocator.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "host/caching_cpu_allocator.h"

namespace musetalk::host {
namespace {

constexpr int64_t kLimit = int64_t{64} << 20;

class CachingCpuAllocator : public ::testing::Test {
 protected:
  // Each test starts with an empty cache, whatever ran before it in this process.
  void SetUp() override {
    use_caching_cpu_allocator(kLimit);
    trim_caching_cpu_allocator();
  }
};

TEST_F(CachingCpuAllocator, ReusesAFreedBlockOfTheSameSize) {
  const CpuAllocatorStats before = caching_cpu_allocator_stats();
  const void* first = nullptr;
  {
    torch::Tensor t = torch::empty({1 << 20}, torch::kFloat32);  // 4 MiB
    first = t.data_ptr();
  }
  torch::Tensor again = torch::empty({1 << 20}, torch::kFloat32);
  const CpuAllocatorStats after = caching_cpu_allocator_stats();
  EXPECT_EQ(again.data_ptr(), first);
  EXPECT_EQ(after.allocations - before.allocations, 2);
  EXPECT_EQ(after.reused - before.reused, 1);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(again.data_ptr()) % 64, 0u);
}

TEST_F(CachingCpuAllocator, MuchSmallerRequestsDoNotTakeALargeBlock) {
  { torch::Tensor big = torch::empty({16 << 20}, torch::kUInt8); }
  const CpuAllocatorStats before = caching_cpu_allocator_stats();
  torch::Tensor small = torch::empty({2 << 20}, torch::kUInt8);
  EXPECT_EQ(caching_cpu_allocator_stats().reused, before.reused);
}

TEST_F(CachingCpuAllocator, FreeCacheStaysWithinItsLimit) {
  {
    std::vector<torch::Tensor> many;
    for (int i = 0; i < 40; ++i) many.push_back(torch::empty({3 << 20}, torch::kUInt8));
  }  // 120 MiB freed at once: only 64 MiB may stay cached
  const CpuAllocatorStats stats = caching_cpu_allocator_stats();
  EXPECT_LE(stats.cached_bytes, kLimit);
  EXPECT_GT(stats.cached_bytes, 0);
}

// oneDNN's path: raw_allocate/raw_deallocate need the context to be the data pointer.
TEST_F(CachingCpuAllocator, RawAllocationsRoundTripThroughTheCache) {
  c10::Allocator* allocator = c10::GetCPUAllocator();
  const CpuAllocatorStats before = caching_cpu_allocator_stats();
  void* big = allocator->raw_allocate(size_t{5} << 20);
  void* small = allocator->raw_allocate(100);
  ASSERT_NE(big, nullptr);
  ASSERT_NE(small, nullptr);
  allocator->raw_deallocate(small);
  allocator->raw_deallocate(big);
  void* again = allocator->raw_allocate(size_t{5} << 20);
  EXPECT_EQ(again, big);
  allocator->raw_deallocate(again);
  EXPECT_EQ(caching_cpu_allocator_stats().reused - before.reused, 1);
}

TEST_F(CachingCpuAllocator, TrimGivesTheCacheBack) {
  { torch::Tensor t = torch::empty({8 << 20}, torch::kUInt8); }
  EXPECT_GT(caching_cpu_allocator_stats().cached_bytes, 0);
  trim_caching_cpu_allocator();
  const CpuAllocatorStats stats = caching_cpu_allocator_stats();
  EXPECT_TRUE(stats.installed);
  EXPECT_EQ(stats.cached_bytes, 0);
  torch::Tensor again = torch::ones({8 << 20}, torch::kUInt8);  // still allocates after a trim
  EXPECT_EQ(again.sum().item<int64_t>(), int64_t{8} << 20);
}

TEST_F(CachingCpuAllocator, ValuesSurviveReuseAndConvolutionsRun) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({2, 16, 128, 128});
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(16, 32, 3).padding(1));
  torch::NoGradGuard no_grad;
  const torch::Tensor first = conv(x);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(conv(x).equal(first));
  EXPECT_GT(caching_cpu_allocator_stats().reused, 0);
}

}  // namespace
}  // namespace musetalk::host
