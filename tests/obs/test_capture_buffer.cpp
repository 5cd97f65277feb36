// The OBS source's capture buffer (plugin/capture_buffer.h), without OBS: OBS's planar channels
// downmixed to their mean, long callbacks split into blocks with their arrival times, the oldest
// blocks dropped and counted when the pump falls behind, pop() waiting for a block and wake()
// ending that wait, and push() allocating nothing (it runs on OBS's audio thread).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <thread>
#include <vector>

#include "capture_buffer.h"

namespace {

// Allocations made by the calling thread through the global operator new (replaced below for this
// test program: it counts, then allocates as the default one does).
thread_local int64_t t_allocations = 0;

}  // namespace

void* operator new(std::size_t size) {
  ++t_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

void operator delete(void* p) noexcept {
  std::free(p);
}

void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace musetalk::obs_plugin {
namespace {

using std::chrono::milliseconds;

constexpr uint32_t kRate = 48000;

TEST(CaptureBuffer, DownmixesThePlanesToTheirMean) {
  CaptureBuffer capture;
  const std::vector<float> left{1.0f, 2.0f, 3.0f, -1.0f};
  const std::vector<float> right{3.0f, 2.0f, -1.0f, 1.0f};
  const float* planes[2] = {left.data(), right.data()};
  capture.push(planes, 2, left.size(), kRate, 5000000000);

  CapturedBlock block;
  ASSERT_TRUE(capture.pop(block));
  EXPECT_EQ(block.samples, (std::vector<float>{2.0f, 2.0f, 1.0f, 0.0f}));
  EXPECT_EQ(block.rate, kRate);
  EXPECT_EQ(block.arrival_ns, 5000000000);
  EXPECT_FALSE(capture.pop(block));
  EXPECT_EQ(capture.packets(), 1);
  EXPECT_EQ(capture.dropped(), 0);
}

TEST(CaptureBuffer, AMissingPlaneIsSilence) {
  CaptureBuffer capture;
  const std::vector<float> left{0.5f, -0.5f};
  const float* planes[2] = {left.data(), nullptr};
  capture.push(planes, 2, left.size(), kRate, 1);
  CapturedBlock block;
  ASSERT_TRUE(capture.pop(block));
  EXPECT_EQ(block.samples, (std::vector<float>{0.25f, -0.25f}));
}

TEST(CaptureBuffer, ALongCallbackBecomesBlocksStampedWithTheirArrival) {
  CaptureBuffer capture;
  const size_t frames = 2 * CaptureBuffer::kBlockFrames + 452;
  std::vector<float> mono(frames);
  for (size_t i = 0; i < frames; ++i) mono[i] = static_cast<float>(i);
  const float* planes[1] = {mono.data()};
  const int64_t arrival = 7000000000;
  capture.push(planes, 1, frames, kRate, arrival);

  std::vector<CapturedBlock> blocks(4);
  size_t count = 0;
  while (count < blocks.size() && capture.pop(blocks[count])) ++count;
  ASSERT_EQ(count, 3u);
  size_t first = 0;
  for (size_t b = 0; b < count; ++b) {
    const size_t size = blocks[b].samples.size();
    ASSERT_EQ(size, b < 2 ? static_cast<size_t>(CaptureBuffer::kBlockFrames) : 452u);
    EXPECT_EQ(blocks[b].samples.front(), static_cast<float>(first));
    EXPECT_EQ(blocks[b].samples.back(), static_cast<float>(first + size - 1));
    first += size;
    // The samples after this block arrived in the same callback, so this one ended earlier.
    const auto after = static_cast<int64_t>(frames - first);
    EXPECT_EQ(blocks[b].arrival_ns, arrival - after * 1000000000 / kRate);
  }
  EXPECT_EQ(capture.packets(), 1);
}

TEST(CaptureBuffer, APumpThatFallsBehindLosesTheOldestBlocksCounted) {
  CaptureBuffer capture(4);
  std::vector<float> mono(10);
  const float* planes[1] = {mono.data()};
  for (int i = 0; i < 6; ++i) {
    mono.assign(mono.size(), static_cast<float>(i));
    capture.push(planes, 1, mono.size(), kRate, int64_t{i} * 1000000);
  }
  CapturedBlock block;
  for (int i = 2; i < 6; ++i) {
    ASSERT_TRUE(capture.pop(block));
    EXPECT_EQ(block.samples.front(), static_cast<float>(i));
    EXPECT_EQ(block.arrival_ns, int64_t{i} * 1000000);
  }
  EXPECT_FALSE(capture.pop(block));
  EXPECT_EQ(capture.packets(), 6);
  EXPECT_EQ(capture.dropped(), 2);
}

TEST(CaptureBuffer, PopWaitsForABlockAndWakeEndsTheWait) {
  CaptureBuffer capture;
  std::vector<float> mono(480, 0.1f);
  const float* planes[1] = {mono.data()};
  std::thread producer([&] {
    std::this_thread::sleep_for(milliseconds(30));
    capture.push(planes, 1, mono.size(), kRate, 1);
  });
  CapturedBlock block;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(capture.pop(block, milliseconds(5000)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
  producer.join();
  EXPECT_EQ(block.samples.size(), mono.size());

  std::thread waker([&] {
    std::this_thread::sleep_for(milliseconds(30));
    capture.wake();
  });
  const auto wait_start = std::chrono::steady_clock::now();
  EXPECT_FALSE(capture.pop(block, milliseconds(5000)));
  EXPECT_LT(std::chrono::steady_clock::now() - wait_start, milliseconds(2000));
  waker.join();
}

TEST(CaptureBuffer, PushAllocatesNothing) {
  CaptureBuffer capture(8);
  std::vector<float> left(3000, 0.25f), right(3000, -0.5f);
  const float* planes[2] = {left.data(), right.data()};
  capture.push(planes, 2, left.size(), kRate, 1);  // nothing is created on first use either
  const int64_t before = t_allocations;
  for (int i = 0; i < 20; ++i) capture.push(planes, 2, left.size(), kRate, 2 + i);
  EXPECT_EQ(t_allocations, before);
  // The ring was lapped (overwriting allocates nothing either); the pump counts what it missed.
  CapturedBlock block;
  EXPECT_TRUE(capture.pop(block));
  EXPECT_GT(capture.dropped(), 0);
}

// A capture thread pushing while the pump pops: every block arrives whole (all its samples the
// value of one push) and in order, or is counted dropped.
TEST(CaptureBuffer, ConcurrentPushAndPopDeliverWholeBlocksInOrder) {
  CaptureBuffer capture(8);
  constexpr int kPushes = 20000;
  std::atomic<bool> done{false};
  std::thread producer([&] {
    std::vector<float> mono(256);
    const float* planes[1] = {mono.data()};
    for (int i = 1; i <= kPushes; ++i) {
      mono.assign(mono.size(), static_cast<float>(i));
      capture.push(planes, 1, mono.size(), kRate, i);
    }
    done = true;
  });
  CapturedBlock block;
  int64_t received = 0, last = 0;
  bool ok = true;
  while (true) {
    const bool finished = done;
    while (capture.pop(block)) {
      ++received;
      const float value = block.samples.front();
      for (float v : block.samples) ok = ok && v == value;
      ok = ok && static_cast<int64_t>(value) > last && block.arrival_ns == value;
      last = static_cast<int64_t>(value);
    }
    if (finished) break;
  }
  producer.join();
  EXPECT_TRUE(ok) << "a torn or out-of-order block";
  EXPECT_EQ(received + capture.dropped(), kPushes);
}

}  // namespace
}  // namespace musetalk::obs_plugin
