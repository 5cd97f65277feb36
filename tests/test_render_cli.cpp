// `musetalk render` end to end, run as a user runs it: a tiny model set in the released formats,
// the upstream avatar and yongen.wav (48 kHz stereo, 8 s) give an MP4 whose frame count, duration
// and AAC track are right, and whose PNG frames equal the avatar outside the masks. Bad input
// gives a clear error, a non-zero exit and no output file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "avatar/avatar.h"
#include "cli_runner.h"
#include "media/audio_decoder.h"
#include "media/image_io.h"
#include "mp4_probe.h"
#include "test_support.h"
#include "tiny_models_suite.h"

namespace musetalk {
namespace {

namespace fs = std::filesystem;

const std::string kAvatar = test::media_dir() + "/avatars/yongen_v15";
const std::string kAudio = test::media_dir() + "/yongen.wav";
constexpr int kFps = 25;

using test::probe_mp4;

class RenderCli : public test::TinyModelsSuite {
 protected:
  test::RunResult render(const std::string& args) {
    return test::run_tool("render --models " + models_dir() + " --device cpu --batch 8 --quiet " +
                          args);
  }

  test::TempDir out_;
};

TEST_F(RenderCli, UpstreamAvatarAndWavGiveACorrectMp4AndFrames) {
  const std::string out = out_.file("talk.mp4");
  const std::string frames = out_.file("frames");
  test::RunResult r = render("--avatar " + kAvatar + " --audio " + kAudio + " --out " + out +
                             " --frames-dir " + frames);
  ASSERT_EQ(r.exit_code, 0) << r.output;

  const double audio_seconds = media::decode_audio_16k_mono(kAudio).duration_s;
  const int64_t expected_frames = static_cast<int64_t>(audio_seconds * kFps);
  test::Mp4Info info = probe_mp4(out);
  EXPECT_EQ(info.video_codec, "h264");
  EXPECT_EQ(info.video_packets, expected_frames);
  EXPECT_NEAR(info.video_seconds, audio_seconds, 1.0 / kFps);
  EXPECT_EQ(info.audio_codec, "aac");
  EXPECT_NEAR(info.audio_seconds, info.video_seconds, 1.0 / kFps);

  // Outside each cycle frame's mask every pixel is the avatar's own (MuseTalk
  // musetalk/utils/blending.py get_image_blending).
  avatar::Avatar avatar = avatar::load_avatar(kAvatar);
  const int64_t n = static_cast<int64_t>(avatar.frame_count());
  for (int64_t i : {int64_t{0}, int64_t{1}, n + 3, expected_frames - 1}) {
    SCOPED_TRACE("frame " + std::to_string(i));
    char name[32];
    std::snprintf(name, sizeof name, "%08lld.png", static_cast<long long>(i));
    media::Image got = media::read_png((fs::path(frames) / name).string(), 3);
    const int64_t j = i % n;
    media::Image want = media::read_png(avatar.frame_files[j], 3);
    media::Image mask = media::read_png(avatar.mask_files[j], 1);
    const avatar::Box crop = avatar.mask_boxes[j];
    ASSERT_EQ(got.pixels.size(), want.pixels.size());
    int64_t outside_differing = 0, inside_differing = 0;
    for (int y = 0; y < got.height; ++y) {
      for (int x = 0; x < got.width; ++x) {
        const bool in_crop = x >= crop.x1 && x < crop.x2 && y >= crop.y1 && y < crop.y2;
        const bool masked = in_crop && mask.pixels[(y - crop.y1) * mask.width + (x - crop.x1)] > 0;
        const size_t at = (static_cast<size_t>(y) * got.width + x) * 3;
        const bool same = std::equal(&got.pixels[at], &got.pixels[at] + 3, &want.pixels[at]);
        (masked ? inside_differing : outside_differing) += same ? 0 : 1;
      }
    }
    EXPECT_EQ(outside_differing, 0);
    EXPECT_GT(inside_differing, 0) << "the generated face must show inside the mask";
  }
}

TEST_F(RenderCli, SampleAvatarWithoutLatentsRendersWithLatentsFromTheVae) {
  const std::string sample = test::sample_dir();
  const std::string out = out_.file("sample.mp4");
  test::RunResult r =
      test::run_tool("render --models " + models_dir() + " --device cpu --avatar " + sample +
                     "/avatar --audio " + sample + "/voice.wav --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("making them with the VAE"), std::string::npos) << r.output;
  const double audio_seconds = media::decode_audio_16k_mono(sample + "/voice.wav").duration_s;
  const test::Mp4Info info = probe_mp4(out);
  EXPECT_EQ(info.video_packets, static_cast<int64_t>(audio_seconds * kFps));
  EXPECT_EQ(info.audio_codec, "aac");
  EXPECT_FALSE(fs::exists(sample + "/avatar/latents.safetensors")) << "the sample stays as shipped";
}

void expect_failure_without_output(const test::RunResult& r, const std::string& out,
                                   const std::string& names) {
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(names), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out)) << "no output file on failure";
  for (const auto& e : fs::directory_iterator(fs::path(out).parent_path())) {
    EXPECT_EQ(e.path().string().find(".partial"), std::string::npos) << e.path();
  }
}

TEST_F(RenderCli, MissingAvatarFileIsNamed) {
  const fs::path avatar = out_.path() / "avatar";
  fs::copy(kAvatar, avatar, fs::copy_options::recursive);
  fs::remove(avatar / "latents.pt");
  const std::string out = out_.file("talk.mp4");
  expect_failure_without_output(
      render("--avatar " + avatar.string() + " --audio " + kAudio + " --out " + out), out,
      "latents.pt");
}

TEST_F(RenderCli, CorruptAvatarFileIsNamed) {
  const fs::path avatar = out_.path() / "avatar";
  fs::copy(kAvatar, avatar, fs::copy_options::recursive);
  fs::resize_file(avatar / "coords.pkl", 100);
  const std::string out = out_.file("talk.mp4");
  expect_failure_without_output(
      render("--avatar " + avatar.string() + " --audio " + kAudio + " --out " + out), out,
      "coords.pkl");
}

TEST_F(RenderCli, AudioWithoutSamplesIsNamed) {
  const std::string wav = out_.file("silence.wav");
  {
    // A valid 16-bit mono 16 kHz WAV header with an empty data chunk.
    const unsigned char header[44] = {'R', 'I', 'F',  'F',  36,  0,   0,   0,    'W', 'A', 'V',
                                      'E', 'f', 'm',  't',  ' ', 16,  0,   0,    0,   1,   0,
                                      1,   0,   0x80, 0x3e, 0,   0,   0,   0x7d, 0,   0,   2,
                                      0,   16,  0,    'd',  'a', 't', 'a', 0,    0,   0,   0};
    std::ofstream(wav, std::ios::binary).write(reinterpret_cast<const char*>(header), 44);
  }
  const std::string out = out_.file("talk.mp4");
  expect_failure_without_output(render("--avatar " + kAvatar + " --audio " + wav + " --out " + out),
                                out, wav);
}

TEST_F(RenderCli, FileWithoutAudioStreamIsNamed) {
  const std::string video = test::media_dir() + "/yongen.mp4";  // the sample video is silent
  const std::string out = out_.file("talk.mp4");
  expect_failure_without_output(
      render("--avatar " + kAvatar + " --audio " + video + " --out " + out), out,
      "no audio stream");
}

TEST_F(RenderCli, UnwritableOutputIsNamed) {
  const std::string out = out_.file("no_such_folder/talk.mp4");
  test::RunResult r = render("--avatar " + kAvatar + " --audio " + kAudio + " --out " + out);
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(out), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(RenderCli, UnknownDeviceIsNamed) {
  const std::string out = out_.file("talk.mp4");
  expect_failure_without_output(test::run_tool("render --device tpu --avatar " + kAvatar +
                                               " --audio " + kAudio + " --out " + out),
                                out, "--device tpu");
}

}  // namespace
}  // namespace musetalk
