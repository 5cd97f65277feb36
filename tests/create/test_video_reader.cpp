// media::VideoReader and probe_video: the source video of avatar creation, read from clips the
// tests write (constant and variable frame rates, phone rotation, odd sizes, stills) and from
// the repository's sample talking-head video, and every problem probe_video reports up front.

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "files/error.h"
#include "media/image_io.h"
#include "media/mp4_writer.h"
#include "media/video_reader.h"
#include "test_clips.h"
#include "test_support.h"
#include "wav_file.h"

extern "C" {
#include <libavutil/log.h>
}

namespace musetalk::media {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

const int quiet_ffmpeg = (av_log_set_level(AV_LOG_QUIET), 0);

struct Frame {
  Image image;
  double time = 0;
};

std::vector<Frame> read_all(const std::string& path, const VideoReadOptions& options = {}) {
  VideoReader reader(path, options);
  std::vector<Frame> frames;
  Frame frame;
  while (reader.next(frame.image, frame.time)) frames.push_back(frame);
  EXPECT_EQ(reader.frames_read(), static_cast<int64_t>(frames.size()));
  return frames;
}

int pixel(const Image& image, int x, int y, int channel = 1) {
  return image.pixels[(static_cast<size_t>(y) * image.width + x) * 3 + channel];
}

// The frame index a paint_index frame carries, read at its centre.
int index_of(const Image& image) {
  return test::index_of_level(pixel(image, image.width / 2, image.height / 2));
}

std::vector<int> indices(const std::vector<Frame>& frames) {
  std::vector<int> out;
  for (const Frame& f : frames) out.push_back(index_of(f.image));
  return out;
}

// Expects fn to throw a musetalk::Error about path whose text contains words, with a fix.
template <typename Fn>
void expect_error(Fn fn, const std::string& path, const std::string& words) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected one about " << path << " saying " << words;
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), path) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    EXPECT_FALSE(e.fix().empty()) << e.what();
    std::cout << e.what() << "\n";
  }
}

void expect_probe_error(const std::string& path, const std::string& words,
                        const VideoReadOptions& options = {}) {
  expect_error([&] { probe_video(path, options); }, path, words);
}

TEST(VideoReader, ConstantRateClipAtItsOwnRate) {
  TempDir dir;
  const std::string path = dir.file("clip.mp4");
  test::write_clip(path, test::constant_rate_clip(10, 25));

  const VideoInfo info = probe_video(path);
  EXPECT_EQ(info.width, 64);
  EXPECT_EQ(info.height, 48);
  EXPECT_NEAR(info.source_fps, 25, 1e-6);
  EXPECT_EQ(info.rotation_degrees, 0);
  EXPECT_FALSE(info.variable_frame_rate);
  EXPECT_NEAR(info.duration_s, 0.4, 1e-6);
  EXPECT_EQ(info.codec, "h264");
  EXPECT_FALSE(info.still_image);

  const auto frames = read_all(path);
  ASSERT_EQ(frames.size(), 10u);
  for (int k = 0; k < 10; ++k) {
    EXPECT_EQ(index_of(frames[k].image), k);
    EXPECT_NEAR(frames[k].time, k / 25.0, 1e-9);
    EXPECT_EQ(frames[k].image.width, 64);
    EXPECT_EQ(frames[k].image.height, 48);
    EXPECT_EQ(frames[k].image.channels, 3);
    EXPECT_EQ(frames[k].image.pixels.size(), 64u * 48 * 3);
  }
}

// 30 frames at 30 fps last 1 s: 25 frames at 25 fps, frame k showing source frame
// floor(k * 30 / 25) (every sixth source frame dropped).
TEST(VideoReader, ThirtyFpsResampledToTwentyFive) {
  TempDir dir;
  const std::string path = dir.file("clip30.mp4");
  test::write_clip(path, test::constant_rate_clip(30, 30));
  EXPECT_NEAR(probe_video(path).source_fps, 30, 1e-6);

  const auto frames = read_all(path);
  ASSERT_EQ(frames.size(), 25u);
  std::vector<int> expected;
  for (int k = 0; k < 25; ++k) expected.push_back(k * 30 / 25);
  EXPECT_EQ(indices(frames), expected);
}

// Frames at 0, 0.04, 0.12, 0.13, 0.20, 0.28 s, the last lasting 0.04 s: on the 25 fps grid
// (0, 0.04, ..., 0.28) each output shows the latest frame at or before its time; 0.32 is the end.
TEST(VideoReader, VariableFrameRateResampledOnTimestamps) {
  TempDir dir;
  const std::string path = dir.file("vfr.mp4");
  test::ClipSpec spec;
  spec.time_base = {1, 100};
  spec.pts = {0, 4, 12, 13, 20, 28};
  spec.last_duration = 4;
  spec.paint = test::paint_index;
  test::write_clip(path, spec);

  const VideoInfo info = probe_video(path);
  EXPECT_TRUE(info.variable_frame_rate) << "average " << info.source_fps << " fps";
  EXPECT_NEAR(info.duration_s, 0.32, 1e-6);

  const auto frames = read_all(path);
  EXPECT_EQ(indices(frames), (std::vector<int>{0, 1, 1, 2, 3, 4, 4, 5}));
  for (size_t k = 0; k < frames.size(); ++k) EXPECT_NEAR(frames[k].time, k * 0.04, 1e-9);

  // At 10 fps (0, 0.1, 0.2, 0.3) frames are dropped instead.
  VideoReadOptions ten;
  ten.fps = 10;
  EXPECT_EQ(indices(read_all(path, ten)), (std::vector<int>{0, 1, 4, 5}));
}

// A landscape-coded 64x48 clip with a white 16x16 block in its top-left corner, tagged to be
// turned for display as a phone tags portrait video: it comes out upright, the block where a
// player shows it.
struct RotationCase {
  int rotate_cw;
  int width, height;       // after the turn
  int marker_x, marker_y;  // the block's centre after the turn
};

class VideoReaderRotation : public testing::TestWithParam<RotationCase> {};

TEST_P(VideoReaderRotation, ComesOutUpright) {
  const RotationCase c = GetParam();
  TempDir dir;
  const std::string path = dir.file("phone.mp4");
  test::ClipSpec spec = test::constant_rate_clip(3, 25);
  spec.rotate_cw = c.rotate_cw;
  spec.paint = [](int, std::vector<uint8_t>& bgr) {
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < 16; ++x)
        for (int ch = 0; ch < 3; ++ch) bgr[(y * 64 + x) * 3 + ch] = 255;
  };
  test::write_clip(path, spec);

  const VideoInfo info = probe_video(path);
  EXPECT_EQ(info.rotation_degrees, c.rotate_cw);
  EXPECT_EQ(info.width, c.width);
  EXPECT_EQ(info.height, c.height);
  const auto frames = read_all(path);
  ASSERT_EQ(frames.size(), 3u);
  const Image& image = frames[0].image;
  ASSERT_EQ(image.width, c.width);
  ASSERT_EQ(image.height, c.height);
  EXPECT_GE(pixel(image, c.marker_x, c.marker_y), 250);
  // Every other corner stays black.
  const int corners[4][2] = {
      {4, 4}, {c.width - 5, 4}, {4, c.height - 5}, {c.width - 5, c.height - 5}};
  int white = 0;
  for (const auto& p : corners) {
    const int v = pixel(image, p[0], p[1]);
    EXPECT_TRUE(v <= 5 || v >= 250) << v;
    white += v >= 250;
  }
  EXPECT_EQ(white, 1);
}

INSTANTIATE_TEST_SUITE_P(Turns, VideoReaderRotation,
                         testing::Values(RotationCase{0, 64, 48, 8, 8},
                                         RotationCase{90, 48, 64, 48 - 8, 8},
                                         RotationCase{180, 64, 48, 64 - 8, 48 - 8},
                                         RotationCase{270, 48, 64, 8, 64 - 8}),
                         [](const testing::TestParamInfo<RotationCase>& p) {
                           return "Rotate" + std::to_string(p.param.rotate_cw);
                         });

// 65x49 (FFV1 in Matroska, 4:4:4: a codec that takes odd sides) stays 65x49, last column and row
// included.
TEST(VideoReader, OddSizeKept) {
  TempDir dir;
  const std::string path = dir.file("odd.mkv");
  test::ClipSpec spec = test::constant_rate_clip(2, 25);
  spec.width = 65;
  spec.height = 49;
  spec.container = "matroska";
  spec.encoder = "ffv1";
  spec.pix_fmt = AV_PIX_FMT_YUV444P;
  spec.paint = [](int, std::vector<uint8_t>& bgr) {
    for (int y = 0; y < 49; ++y)
      for (int x = 0; x < 65; ++x) {
        const bool edge = x == 64 || y == 48;
        for (int ch = 0; ch < 3; ++ch) bgr[(y * 65 + x) * 3 + ch] = edge ? 240 : 40;
      }
  };
  test::write_clip(path, spec);

  const VideoInfo info = probe_video(path);
  EXPECT_EQ(info.width, 65);
  EXPECT_EQ(info.height, 49);
  EXPECT_EQ(info.codec, "ffv1");
  const auto frames = read_all(path);
  ASSERT_EQ(frames.size(), 2u);
  const Image& image = frames[0].image;
  ASSERT_EQ(image.width, 65);
  ASSERT_EQ(image.height, 49);
  ASSERT_EQ(image.pixels.size(), 65u * 49 * 3);
  EXPECT_NEAR(pixel(image, 63, 20), 40, 3);
  EXPECT_NEAR(pixel(image, 64, 20), 240, 3);
  EXPECT_NEAR(pixel(image, 20, 47), 40, 3);
  EXPECT_NEAR(pixel(image, 20, 48), 240, 3);
}

// 1 s at 30 fps with a key frame every 5 frames, so the start is reached by seeking.
TEST(VideoReader, StartAndDurationCut) {
  TempDir dir;
  const std::string path = dir.file("clip30.mp4");
  test::ClipSpec spec = test::constant_rate_clip(30, 30);
  spec.gop = 5;
  test::write_clip(path, spec);

  VideoReadOptions cut;
  cut.start_s = 0.5;
  cut.duration_s = 0.4;
  auto frames = read_all(path, cut);
  ASSERT_EQ(frames.size(), 10u);
  for (int k = 0; k < 10; ++k) {
    const double t = 0.5 + k / 25.0;
    EXPECT_NEAR(frames[k].time, t, 1e-9);
    EXPECT_EQ(index_of(frames[k].image), static_cast<int>(std::floor(t * 30 + 1e-6))) << k;
  }

  // From 0.9 s to the end (1.0 s): 0.90, 0.94, 0.98.
  VideoReadOptions tail;
  tail.start_s = 0.9;
  EXPECT_EQ(indices(read_all(path, tail)), (std::vector<int>{27, 28, 29}));
}

TEST(VideoReader, PngStillIsOneFrame) {
  TempDir dir;
  const std::string path = dir.file("face.png");
  std::vector<uint8_t> bgr(65 * 49 * 3);
  for (size_t i = 0; i < bgr.size(); ++i) bgr[i] = static_cast<uint8_t>(i * 7);
  write_png_bgr(path, bgr.data(), 65, 49, 65 * 3);

  const VideoInfo info = probe_video(path);
  EXPECT_TRUE(info.still_image);
  EXPECT_EQ(info.codec, "png");
  EXPECT_EQ(info.width, 65);
  EXPECT_EQ(info.height, 49);
  VideoReadOptions options;
  options.fps = 30;
  const auto frames = read_all(path, options);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].time, 0);
  EXPECT_EQ(frames[0].image.width, 65);
  EXPECT_EQ(frames[0].image.height, 49);
  EXPECT_EQ(frames[0].image.pixels, bgr);
}

// The repository's sample talking head: 704x1216 H.264 at 25 fps, 268 frames.
TEST(VideoReader, SampleVideo) {
  const std::string path = test::media_dir() + "/yongen.mp4";
  const VideoInfo info = probe_video(path);
  EXPECT_EQ(info.width, 704);
  EXPECT_EQ(info.height, 1216);
  EXPECT_NEAR(info.source_fps, 25, 1e-6);
  EXPECT_EQ(info.rotation_degrees, 0);
  EXPECT_FALSE(info.variable_frame_rate);
  EXPECT_EQ(info.codec, "h264");

  VideoReader reader(path);
  Image image;
  double time = 0;
  int64_t count = 0;
  const uint8_t* buffer = nullptr;
  while (reader.next(image, time)) {
    ASSERT_EQ(image.width, 704);
    ASSERT_EQ(image.height, 1216);
    ASSERT_EQ(image.pixels.size(), 704u * 1216 * 3);
    EXPECT_NEAR(time, count / 25.0, 1e-9);
    if (count == 0) {
      buffer = image.pixels.data();
    } else {
      ASSERT_EQ(image.pixels.data(), buffer) << "the frame buffer is reused";
    }
    ++count;
  }
  EXPECT_EQ(count, 268);
  EXPECT_FALSE(reader.next(image, time));
}

TEST(ProbeVideo, MissingFile) {
  TempDir dir;
  expect_probe_error(dir.file("nowhere.mp4"), "file not found");
}

TEST(ProbeVideo, Folder) {
  TempDir dir;
  expect_probe_error(dir.path().string(), "is a folder");
}

TEST(ProbeVideo, UnreadableFile) {
  TempDir dir;
  const std::string path = dir.file("clip.mp4");
  test::write_clip(path, test::constant_rate_clip(2, 25));
  fs::permissions(path, fs::perms::none);
  const std::string words = "cannot be read (Permission denied)";
  if (geteuid() != 0) {
    expect_probe_error(path, words);
    return;
  }
  // Root reads any file: probe as the unprivileged user nobody, in a child process.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int code = 3;  // could not drop privileges
    if (setgid(65534) == 0 && setuid(65534) == 0) {
      try {
        probe_video(path);
        code = 1;  // no error
      } catch (const Error& e) {
        code = e.input() == path && std::string(e.what()).find(words) != std::string::npos ? 0 : 2;
      } catch (...) {
        code = 4;
      }
    }
    _exit(code);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: no error, 2: another error, 3: setuid failed";
}

TEST(ProbeVideo, TextFileIsNotMedia) {
  TempDir dir;
  for (const char* name : {"notes.txt", "notes.mp4", "notes"}) {
    const std::string path = dir.file(name);
    std::ofstream(path) << "These are notes about the avatar, not a video.\n";
    expect_probe_error(path, "not a");
  }
}

TEST(ProbeVideo, WavHasNoVideoStream) {
  TempDir dir;
  const std::string path = dir.file("voice.wav");
  test::write_wav(path, std::vector<float>(16000, 0.1f), 16000);
  expect_probe_error(path, "has no video stream");
}

TEST(ProbeVideo, VideoStreamWithoutFrames) {
  TempDir dir;
  const std::string path = dir.file("empty.mp4");
  test::write_clip_without_frames(path);
  expect_probe_error(path, "no frames");
}

// The MP4 index (moov) comes last in the writer's files: cut in half, the file is not readable.
TEST(ProbeVideo, TruncatedFile) {
  TempDir dir;
  const std::string path = dir.file("cut.mp4");
  test::write_clip(path, test::constant_rate_clip(10, 25));
  fs::resize_file(path, fs::file_size(path) / 2);
  expect_probe_error(path, "damaged");
}

// A sound index with the picture data overwritten: every packet fails to decode.
TEST(ProbeVideo, CorruptPictureData) {
  TempDir dir;
  const std::string path = dir.file("garbled.mp4");
  test::write_clip(path, test::constant_rate_clip(10, 25));
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const size_t mdat = bytes.find("mdat");
  const size_t moov = bytes.find("moov");
  ASSERT_NE(mdat, std::string::npos);
  ASSERT_NE(moov, std::string::npos);
  ASSERT_LT(mdat, moov);
  for (size_t i = mdat + 4; i + 4 < moov; ++i) bytes[i] = static_cast<char>(0xff);
  file.seekp(0);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.close();
  expect_probe_error(path, "cannot be decoded");
}

TEST(ProbeVideo, DamagedPng) {
  TempDir dir;
  const std::string path = dir.file("face.png");
  std::vector<uint8_t> bgr(64 * 64 * 3, 128);
  write_png_bgr(path, bgr.data(), 64, 64, 64 * 3);
  fs::resize_file(path, 40);
  expect_probe_error(path, "not a readable image");
}

TEST(ProbeVideo, StartBeyondTheEnd) {
  TempDir dir;
  const std::string path = dir.file("clip.mp4");
  test::write_clip(path, test::constant_rate_clip(10, 25));  // 0.4 s
  VideoReadOptions late;
  late.start_s = 2;
  expect_probe_error(path, "beyond the end", late);
  late.start_s = 0.4;
  expect_probe_error(path, "beyond the end", late);
  late.start_s = 0.39;
  EXPECT_EQ(read_all(path, late).size(), 1u);
}

TEST(ProbeVideo, OptionsOutOfRange) {
  TempDir dir;
  const std::string path = dir.file("clip.mp4");
  test::write_clip(path, test::constant_rate_clip(2, 25));
  VideoReadOptions bad;
  bad.fps = 0;
  expect_probe_error(path, "frame rate", bad);
  bad = {};
  bad.start_s = -1;
  expect_probe_error(path, "negative", bad);
  bad = {};
  bad.duration_s = -1;
  expect_probe_error(path, "negative", bad);
}

}  // namespace
}  // namespace musetalk::media
