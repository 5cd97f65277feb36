// live::Mp4Output: a stream's frames and the voice they carry, written as H.264 + AAC and read
// back with libavformat (durations, frame count) and the project's audio decoder (where the
// voice lies in time).

#include "live/mp4_output.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "files/error.h"
#include "media/audio_decoder.h"
#include "mp4_probe.h"
#include "test_support.h"

extern "C" {
#include <libavutil/log.h>
}

namespace musetalk::live {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

// FFmpeg's encoder statistics would bury the test output.
const int quiet_ffmpeg = (av_log_set_level(AV_LOG_ERROR), 0);

constexpr double kPi = 3.14159265358979323846;
constexpr int64_t kRate = 16000;

// A stream of frames at fps whose voice is a 440 Hz tone in frames [tone_from, tone_to) and
// silence elsewhere; frame k carries samples [k * 16000 / fps, (k + 1) * 16000 / fps), the
// floor/ceil alternation stream_frame.h describes.
class ToneStream {
 public:
  ToneStream(int fps, int width, int height, int64_t tone_from, int64_t tone_to)
      : fps_(fps),
        width_(width),
        height_(height),
        tone_from_(tone_from),
        tone_to_(tone_to),
        bgr_(static_cast<size_t>(width) * height * 3) {}

  void write(stream::FrameOutput& out, int64_t k) {
    const int64_t begin = k * kRate / fps_, end = (k + 1) * kRate / fps_;
    voice_.resize(static_cast<size_t>(end - begin));
    const bool tone = k >= tone_from_ && k < tone_to_;
    for (int64_t i = begin; i < end; ++i) {
      voice_[i - begin] =
          tone ? 0.5f * static_cast<float>(std::sin(2 * kPi * 440.0 * i / kRate)) : 0.0f;
    }
    for (size_t i = 0; i < bgr_.size(); ++i) bgr_[i] = static_cast<uint8_t>(i + k * 7);
    stream::FrameView f;
    f.index = k;
    f.pts_ns = k * 1000000000 / fps_;
    f.fps = fps_;
    f.bgr = bgr_.data();
    f.width = width_;
    f.height = height_;
    f.stride = width_ * 3;
    f.audio = voice_.data();
    f.audio_samples = static_cast<int>(voice_.size());
    out.write(f);
  }

 private:
  int fps_, width_, height_;
  int64_t tone_from_, tone_to_;
  std::vector<uint8_t> bgr_;
  std::vector<float> voice_;
};

// The time of the first and last 10 ms block of the decoded voice louder than -20 dBFS.
struct Loud {
  double first_s = -1, last_s = -1;
};
Loud loud_span(const std::vector<float>& samples) {
  Loud loud;
  const size_t block = kRate / 100;
  for (size_t b = 0; b + block <= samples.size(); b += block) {
    double energy = 0;
    for (size_t i = b; i < b + block; ++i) energy += samples[i] * samples[i];
    if (std::sqrt(energy / block) < 0.1) continue;
    if (loud.first_s < 0) loud.first_s = static_cast<double>(b) / kRate;
    loud.last_s = static_cast<double>(b + block) / kRate;
  }
  return loud;
}

class Mp4OutputAtRate : public testing::TestWithParam<int> {};

TEST_P(Mp4OutputAtRate, VoiceAndPictureHaveTheSameLengthAndTiming) {
  const int fps = GetParam();
  const int64_t frames = 3 * fps;  // 3 s; the tone in [1 s, 2 s)
  TempDir dir;
  const std::string path = dir.file("live.mp4");
  {
    Mp4Output out(path);
    ToneStream stream(fps, 96, 64, fps, 2 * fps);
    for (int64_t k = 0; k < frames; ++k) stream.write(out, k);
    EXPECT_TRUE(fs::exists(path + ".partial"));
    EXPECT_FALSE(fs::exists(path));
    out.finish();
    EXPECT_EQ(out.frames_written(), frames);
    EXPECT_EQ(out.audio_samples_written(), frames * kRate / fps);
  }
  EXPECT_FALSE(fs::exists(path + ".partial"));
  const test::Mp4Info info = test::probe_mp4(path);
  const double frame = 1.0 / fps;
  EXPECT_EQ(info.video_packets, frames);
  EXPECT_EQ(info.video_codec, "h264");
  EXPECT_EQ(info.audio_codec, "aac");
  EXPECT_EQ(info.width, 96);
  EXPECT_EQ(info.height, 64);
  EXPECT_NEAR(info.video_seconds, 3.0, frame);
  EXPECT_NEAR(info.audio_seconds, info.video_seconds, frame);
  std::cout << fps << " fps: video " << info.video_seconds << " s, audio " << info.audio_seconds
            << " s\n";

  // The tone comes back where its frames are: from 1 s to 2 s, within a frame.
  const media::DecodedAudio voice = media::decode_audio_16k_mono(path);
  const Loud loud = loud_span(voice.samples);
  EXPECT_NEAR(loud.first_s, 1.0, frame);
  EXPECT_NEAR(loud.last_s, 2.0, frame);
  std::cout << "tone decoded from " << loud.first_s << " s to " << loud.last_s << " s\n";
}

INSTANTIATE_TEST_SUITE_P(Rates, Mp4OutputAtRate, testing::Values(25, 30));

TEST(Mp4Output, DestroyedUnfinishedLeavesNoFile) {
  TempDir dir;
  const std::string path = dir.file("live.mp4");
  {
    Mp4Output out(path);
    ToneStream stream(25, 64, 64, 0, 25);
    for (int64_t k = 0; k < 20; ++k) stream.write(out, k);
    EXPECT_TRUE(fs::exists(path + ".partial"));
  }
  EXPECT_TRUE(fs::is_empty(dir.path()))
      << "left behind: " << fs::directory_iterator(dir.path())->path();
}

TEST(Mp4Output, NothingIsCreatedBeforeTheFirstFrame) {
  TempDir dir;
  { Mp4Output out(dir.file("live.mp4")); }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(Mp4Output, FramesWithoutAudioStandForSilenceOfTheirSlot) {
  TempDir dir;
  const std::string path = dir.file("live.mp4");
  Mp4Output out(path);
  std::vector<uint8_t> bgr(64 * 48 * 3, 128);
  stream::FrameView f;
  f.fps = 30;
  f.bgr = bgr.data();
  f.width = 64;
  f.height = 48;
  f.stride = 64 * 3;
  for (int k = 0; k < 45; ++k) {
    f.index = k;
    out.write(f);
  }
  EXPECT_EQ(out.audio_samples_written(), 45 * kRate / 30);
  out.finish();
  const test::Mp4Info info = test::probe_mp4(path);
  EXPECT_EQ(info.video_packets, 45);
  EXPECT_NEAR(info.audio_seconds, info.video_seconds, 1.0 / 30);
}

TEST(Mp4Output, AFrameOfAnotherSizeIsRefusedNamingTheFile) {
  TempDir dir;
  const std::string path = dir.file("live.mp4");
  Mp4Output out(path);
  ToneStream first(25, 64, 64, 0, 0);
  first.write(out, 0);
  ToneStream other(25, 80, 64, 0, 0);
  try {
    other.write(out, 1);
    ADD_FAILURE() << "a frame of another size was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), path);
    EXPECT_NE(std::string(e.what()).find("80x64"), std::string::npos) << e.what();
    EXPECT_FALSE(e.fix().empty());
  }
}

TEST(Mp4Output, FinishWithoutFramesIsAnErrorAndLeavesNoFile) {
  TempDir dir;
  const std::string path = dir.file("live.mp4");
  Mp4Output out(path);
  EXPECT_THROW(out.finish(), Error);
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(Mp4Output, MissingFolderIsNamedAtTheFirstFrame) {
  TempDir dir;
  const std::string path = dir.file("no/such/live.mp4");
  Mp4Output out(path);
  ToneStream stream(25, 64, 64, 0, 0);
  try {
    stream.write(out, 0);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), path);
  }
}

}  // namespace
}  // namespace musetalk::live
