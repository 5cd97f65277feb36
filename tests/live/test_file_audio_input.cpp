// live::FileAudioInput: a file fed as 20 ms chunks at the pace of a stream::Clock, checked
// against the same file decoded by media::AudioReader.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "files/error.h"
#include "live/file_audio_input.h"
#include "media/audio_reader.h"
#include "test_support.h"

namespace musetalk::live {
namespace {

using test::TempDir;

std::string voice_path() {
  return test::sample_dir() + "/voice.wav";
}

// The whole file as 16 kHz mono float, and its duration in seconds from its own sample count.
std::vector<float> decode(const std::string& path, double* duration_s) {
  media::AudioReader reader(path);
  reader.set_output(kVoiceRate, 1, AV_SAMPLE_FMT_FLT, true);
  std::vector<float> all;
  while (reader.read([&](const uint8_t* const* planes, int n) {
    const float* data = reinterpret_cast<const float*>(planes[0]);
    all.insert(all.end(), data, data + n);
  })) {
  }
  *duration_s = static_cast<double>(reader.source_samples()) / reader.source_rate();
  return all;
}

struct Chunk {
  int64_t pts_ns;
  size_t count;
  int64_t clock_ns;  // the clock's time when it was handed over
};

TEST(FileAudioInput, FeedsContiguousChunksAtTheClocksRate) {
  double duration_s = 0;
  std::vector<float> expected = decode(voice_path(), &duration_s);
  ASSERT_GT(duration_s, 1.0);

  const double rate = 8.0;
  stream::ScaledClock clock(rate);
  std::vector<Chunk> chunks;
  std::vector<float> samples;
  std::atomic<int> ends{0};
  FileAudioInput input(
      voice_path(), clock,
      [&](int64_t pts_ns, const float* data, size_t n) {
        chunks.push_back({pts_ns, n, clock.now_ns()});
        samples.insert(samples.end(), data, data + n);
      },
      [&] { ++ends; });
  auto t0 = std::chrono::steady_clock::now();
  input.start();
  input.wait();
  double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  EXPECT_EQ(ends.load(), 1);
  ASSERT_FALSE(chunks.empty());
  int64_t start = input.start_pts_ns();
  int64_t sent = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const Chunk& c = chunks[i];
    // pts steps of exactly one chunk: start + samples before / 16 kHz.
    EXPECT_EQ(c.pts_ns, start + sent * kVoiceSampleNs) << "chunk " << i;
    if (i + 1 < chunks.size()) {
      EXPECT_EQ(c.count, FileAudioInput::kChunkSamples) << "chunk " << i;
    }
    // Handed over only once its last sample would have been captured.
    EXPECT_GE(c.clock_ns, c.pts_ns + static_cast<int64_t>(c.count) * kVoiceSampleNs);
    sent += static_cast<int64_t>(c.count);
  }
  EXPECT_EQ(input.samples_sent(), sent);
  // Every sample of the file, once, in order: duration x 16 kHz (the resampler's rounding aside).
  EXPECT_NEAR(static_cast<double>(sent), duration_s * kVoiceRate, 2.0);
  EXPECT_EQ(samples, expected);
  // Real-time pace on a clock 8x faster: duration / 8 of wall time (a little more: scheduling).
  std::cout << "fed " << duration_s << " s of audio in " << wall_s << " s at " << rate << "x\n";
  EXPECT_GE(wall_s, duration_s / rate - 0.005);
  EXPECT_LT(wall_s, duration_s / rate + 0.25);
}

TEST(FileAudioInput, StopEndsFeedingEarlyWithoutOnEnd) {
  stream::SteadyClock clock;
  std::atomic<int64_t> received{0};
  std::atomic<int> ends{0};
  FileAudioInput input(
      voice_path(), clock, [&](int64_t, const float*, size_t n) { received += n; },
      [&] { ++ends; });
  input.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto t0 = std::chrono::steady_clock::now();
  input.stop();
  double stop_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(stop_s, 0.1);  // within a chunk's time (20 ms) and scheduling
  EXPECT_NO_THROW(input.wait());
  EXPECT_EQ(ends.load(), 0);
  // About 200 ms of voice at real time, far from the whole 3 s clip.
  EXPECT_GT(received.load(), kVoiceRate / 10);
  EXPECT_LT(received.load(), kVoiceRate / 2);
  EXPECT_EQ(received.load(), input.samples_sent());
}

TEST(FileAudioInput, ErrorsOfTheChunkCallbackComeFromWait) {
  stream::ScaledClock clock(100.0);
  FileAudioInput input(voice_path(), clock, [](int64_t, const float*, size_t) {
    throw Error("session", "full", "wait");
  });
  input.start();
  try {
    input.wait();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), "session");
  }
  EXPECT_EQ(input.samples_sent(), 0);
}

template <typename Fn>
void expect_error_up_front(Fn fn, const std::string& path, const std::string& words) {
  try {
    fn();
    ADD_FAILURE() << "no error for " << path;
  } catch (const Error& e) {
    std::cout << e.what() << "\n";
    EXPECT_EQ(e.input(), path);
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    EXPECT_FALSE(e.fix().empty());
  }
}

TEST(FileAudioInput, MissingFileFailsInTheConstructor) {
  TempDir dir;
  std::string path = dir.file("missing.wav");
  stream::SteadyClock clock;
  int called = 0;
  expect_error_up_front(
      [&] { FileAudioInput input(path, clock, [&](int64_t, const float*, size_t) { ++called; }); },
      path, "not found");
  EXPECT_EQ(called, 0);
}

TEST(FileAudioInput, NotAudioFailsInTheConstructor) {
  TempDir dir;
  std::string path = dir.file("notes.wav");
  std::ofstream(path) << "these are words, not sound\n";
  stream::SteadyClock clock;
  expect_error_up_front(
      [&] { FileAudioInput input(path, clock, [](int64_t, const float*, size_t) {}); }, path, "");
}

}  // namespace
}  // namespace musetalk::live
