// The lock-free buffers between the audio callbacks and the threads around them:
// live::CaptureRing (microphone: drops the oldest block when the reader falls behind) and
// live::TimelineBuffer (voice output: samples addressed by their timeline position).

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "live/capture_ring.h"
#include "live/timeline_buffer.h"

namespace musetalk::live {
namespace {

std::vector<float> block_of(float value, int frames, int channels) {
  return std::vector<float>(static_cast<size_t>(frames) * channels, value);
}

TEST(CaptureRing, DeliversBlocksInOrderWithTheirTimes) {
  CaptureRing ring(4, 3, 2);
  for (int i = 0; i < 3; ++i) {
    CaptureBlockInfo info;
    info.adc_time_s = 10.0 + i;
    info.steady_ns = 100 + i;
    EXPECT_EQ(ring.push(block_of(static_cast<float>(i), 3, 2).data(), 3, info), 3);
  }
  std::vector<float> out(6);
  CaptureBlockInfo info;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(ring.pop(out.data(), info));
    EXPECT_EQ(info.adc_time_s, 10.0 + i);
    EXPECT_EQ(info.steady_ns, 100 + i);
    EXPECT_EQ(info.frames, 3);
    EXPECT_EQ(out, block_of(static_cast<float>(i), 3, 2));
  }
  EXPECT_FALSE(ring.pop(out.data(), info));
  EXPECT_EQ(ring.dropped_frames(), 0);
}

TEST(CaptureRing, OverflowDropsTheOldestAndCountsThem) {
  CaptureRing ring(4, 10, 1);
  for (int i = 0; i < 7; ++i) {
    CaptureBlockInfo info;
    info.adc_time_s = i;
    ring.push(block_of(static_cast<float>(i), 10, 1).data(), 10, info);
  }
  std::vector<float> out(10);
  CaptureBlockInfo info;
  for (int i = 3; i < 7; ++i) {  // blocks 0..2 were overwritten
    ASSERT_TRUE(ring.pop(out.data(), info));
    EXPECT_EQ(info.adc_time_s, i);
    EXPECT_EQ(out[0], static_cast<float>(i));
  }
  EXPECT_FALSE(ring.pop(out.data(), info));
  EXPECT_EQ(ring.dropped_frames(), 30);
}

TEST(CaptureRing, ALongerBufferIsCutToTheSlotAndCounted) {
  CaptureRing ring(2, 4, 1);
  std::vector<float> data = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(ring.push(data.data(), 6, {}), 4);
  std::vector<float> out(4);
  CaptureBlockInfo info;
  ASSERT_TRUE(ring.pop(out.data(), info));
  EXPECT_EQ(info.frames, 4);
  EXPECT_EQ(out, std::vector<float>({1, 2, 3, 4}));
  EXPECT_EQ(ring.dropped_frames(), 2);
}

// A producer far faster than the consumer: every block delivered is whole (all its samples
// carry its number) and in order, and delivered + dropped = pushed.
TEST(CaptureRing, ConcurrentOverflowNeverDeliversATornBlock) {
  const int frames = 64, blocks = 200000;
  CaptureRing ring(8, frames, 1);
  std::atomic<bool> done{false};
  std::thread producer([&] {
    std::vector<float> data(frames);
    for (int i = 0; i < blocks; ++i) {
      std::fill(data.begin(), data.end(), static_cast<float>(i));
      CaptureBlockInfo info;
      info.steady_ns = i;
      ring.push(data.data(), frames, info);
    }
    done = true;
  });
  std::vector<float> out(frames);
  CaptureBlockInfo info;
  int64_t delivered = 0, last = -1;
  while (true) {
    bool finished = done.load();
    while (ring.pop(out.data(), info)) {
      ++delivered;
      EXPECT_GT(info.steady_ns, last);
      last = info.steady_ns;
      for (float v : out) ASSERT_EQ(v, static_cast<float>(info.steady_ns));
    }
    if (finished) break;
  }
  producer.join();
  EXPECT_EQ(delivered * frames + ring.dropped_frames(), int64_t{blocks} * frames);
  EXPECT_GT(ring.dropped_frames(), 0);
  std::cout << "delivered " << delivered << " of " << blocks << " blocks\n";
}

TEST(TimelineBuffer, HoldsEachSampleAtItsPosition) {
  TimelineBuffer buffer(100);
  float v = 0;
  EXPECT_FALSE(buffer.load(0, v));  // never written
  for (int64_t pos = -50; pos < 50; ++pos) buffer.store(pos, static_cast<float>(pos));
  for (int64_t pos = -50; pos < 50; ++pos) {
    ASSERT_TRUE(buffer.load(pos, v)) << pos;
    EXPECT_EQ(v, static_cast<float>(pos));
  }
  // The same slot one capacity later or earlier holds nothing for that position.
  EXPECT_FALSE(buffer.load(150, v));
  EXPECT_FALSE(buffer.load(-150, v));
  buffer.store(150, 7.0f);  // replaces position 50's slot, i.e. -50
  EXPECT_FALSE(buffer.load(-50, v));
  ASSERT_TRUE(buffer.load(150, v));
  EXPECT_EQ(v, 7.0f);
}

// The writer laps the reader continuously: a read either finds the value belonging to that
// position or reports none. The writer goes on until the reader has found enough values (or 10 s
// passed), so the two really overlap on a busy machine.
TEST(TimelineBuffer, ConcurrentReadsNeverReturnAnotherPositionsValue) {
  TimelineBuffer buffer(256);
  std::atomic<int64_t> at{-1};
  std::atomic<int64_t> found{0};
  std::atomic<bool> done{false};
  const int64_t wanted = 200000;
  std::thread writer([&] {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (int64_t pos = 0; found.load(std::memory_order_relaxed) < wanted; ++pos) {
      buffer.store(pos, static_cast<float>(pos % 4096));
      at.store(pos, std::memory_order_relaxed);
      if (pos % 4096 == 0 && std::chrono::steady_clock::now() > until) break;
    }
    done = true;
  });
  int64_t missing = 0;
  while (!done.load()) {
    int64_t p = at.load();
    for (int64_t pos = p - 250; pos < p + 8; ++pos) {
      float v;
      if (buffer.load(pos, v)) {
        ASSERT_EQ(v, static_cast<float>(pos % 4096)) << pos;
        found.fetch_add(1, std::memory_order_relaxed);
      } else {
        ++missing;
      }
    }
  }
  writer.join();
  EXPECT_GE(found.load(), wanted);
  std::cout << "found " << found << ", none for " << missing << " reads while the writer ran\n";
}

}  // namespace
}  // namespace musetalk::live
