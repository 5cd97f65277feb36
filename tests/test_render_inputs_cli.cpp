// `musetalk render` with the inputs new users give it (the test media's hunt/ folder): every
// check that needs no model fails before any model loads, naming the option or file and the
// right cause; inputs that can be rendered are (60 fps, a streamed WAV header, a video file as
// audio, odd frame sizes); the avatar's recorded version is the default.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "cli_runner.h"
#include "media/image_io.h"
#include "mp4_probe.h"
#include "test_support.h"
#include "tiny_models_suite.h"

namespace musetalk {
namespace {

namespace fs = std::filesystem;

const std::string kAvatar = test::media_dir() + "/avatars/yongen_v15";
const std::string kHunt = test::media_dir() + "/hunt";
const std::string kStreamedWav = kHunt + "/streamed_wav_header.wav";    // 2 s
const std::string kRotatedMp4 = kHunt + "/rotated_odd_size_30fps.mp4";  // 2 s, AAC stereo

using test::probe_mp4;

size_t count_of(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

class RenderInputs : public test::TinyModelsSuite {
 protected:
  // With the tiny model set: the render runs to the end when the inputs are right.
  test::RunResult render(const std::string& args) {
    return test::run_tool("render --models " + models_dir() + " --device cpu --batch 8 " + args);
  }

  // With a models folder that does not exist: an error about anything but the models proves that
  // the check came before any model was loaded.
  test::RunResult render_without_models(const std::string& args) {
    return test::run_tool("render --models " + out_.file("no-models") + " --device cpu " + args);
  }

  static void expect_early_failure(const test::RunResult& r, const std::string& names) {
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find(names), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("model file not found"), std::string::npos)
        << "the check must come before the models load\n"
        << r.output;
    EXPECT_EQ(r.output.find("loading models"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("\n  fix: "), std::string::npos) << r.output;
  }

  // A writable copy of the upstream avatar.
  fs::path copy_avatar() {
    const fs::path dir = out_.path() / "avatar";
    fs::copy(kAvatar, dir, fs::copy_options::recursive);
    return dir;
  }

  test::TempDir out_;
};

TEST_F(RenderInputs, AudioShorterThanAFrameFailsBeforeAnyModelLoadsNamingItsLength) {
  const std::string wav = kHunt + "/shorter_than_a_frame.wav";  // 0.03 s
  const test::RunResult r = render_without_models("--avatar " + kAvatar + " --audio " + wav +
                                                  " --out " + out_.file("talk.mp4"));
  expect_early_failure(r, wav);
  EXPECT_NE(r.output.find("lasts 0.030 s"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1/25 s = 0.040 s"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out_.file("talk.mp4")));
}

TEST_F(RenderInputs, AudioWithoutSamplesFailsBeforeAnyModelLoads) {
  const std::string wav = out_.file("empty.wav");
  {
    std::ofstream out(wav, std::ios::binary);
    auto u32 = [&](uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); };
    auto u16 = [&](uint16_t v) { out.write(reinterpret_cast<const char*>(&v), 2); };
    out.write("RIFF", 4), u32(36), out.write("WAVEfmt ", 8), u32(16);
    u16(1), u16(1), u32(16000), u32(32000), u16(2), u16(16);
    out.write("data", 4), u32(0);
  }
  const test::RunResult r = render_without_models("--avatar " + kAvatar + " --audio " + wav +
                                                  " --out " + out_.file("talk.mp4"));
  expect_early_failure(r, wav);
  EXPECT_NE(r.output.find("no samples"), std::string::npos) << r.output;
}

TEST_F(RenderInputs, EveryCheckWithoutAModelComesBeforeTheModelsLoad) {
  const std::string ok = "--avatar " + kAvatar + " --audio " + kStreamedWav;
  const std::string out = " --out " + out_.file("talk.mp4");
  const std::string audio_copy = out_.file("speech.mp4");
  fs::copy_file(kRotatedMp4, audio_copy);
  fs::create_directory(out_.path() / "existing");
  const std::string existing = (out_.path() / "existing").string();
  // Left by a killed render, or someone's own folder: refused, not deleted.
  fs::create_directory(out_.path() / "staged.partial");
  const std::string staged = (out_.path() / "staged").string();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {ok + " --out " + existing, existing + ": is a folder"},
      {ok + " --out " + out_.file("talk.avi"), "ends in .avi"},
      {ok + " --out " + out_.file("talk"), "has no extension"},
      {ok + " --out " + out_.file("missing/talk.mp4"), "does not exist"},
      {ok + " --out /proc/talk.mp4", "cannot create files in its folder /proc"},
      {"--avatar " + kAvatar + " --audio " + audio_copy + " --out " + audio_copy,
       "is the --audio file"},
      {ok + out + " --frames-dir " + existing, existing + ": already exists"},
      {ok + out + " --frames-dir " + staged, staged + ".partial: already exists"},
      {ok + out + " --crf 52", "--crf 52"},
      {ok + out + " --crf -1", "--crf -1"},
      {ok + out + " --batch 0", "--batch 0"},
      {ok + out + " --threads -1", "--threads -1"},
      {ok + out + " --fps 241", "--fps 241"},
      {ok + out + " --version v2", "--version v2"},
      {ok + out + " --precision fp16", "--precision fp16"},
      {"--avatar " + out_.file("no-avatar") + " --audio " + kStreamedWav + out, "no-avatar"},
      {"--avatar " + kAvatar + " --audio " + out_.file("no.wav") + out, "no.wav"},
  };
  for (const auto& [args, names] : cases) {
    SCOPED_TRACE(args);
    expect_early_failure(render_without_models(args), names);
  }
  EXPECT_FALSE(fs::exists(out_.file("talk.mp4")));
  EXPECT_TRUE(fs::exists(audio_copy)) << "the input is never replaced";
  EXPECT_TRUE(fs::is_directory(staged + ".partial")) << "never deleted";
}

TEST_F(RenderInputs, Fp16OnTheCpuIsRefusedWithTheSettingsThatWork) {
  const test::RunResult r =
      render_without_models("--precision fp16 --avatar " + kAvatar + " --audio " + kStreamedWav +
                            " --out " + out_.file("talk.mp4"));
  expect_early_failure(r, "--precision fp16");
  EXPECT_NE(r.output.find("fp32 or bf16"), std::string::npos) << r.output;
}

TEST_F(RenderInputs, EmptyFaceBoxIsCalledEmptyNamingFileAndFrame) {
  const fs::path avatar = copy_avatar();
  fs::copy_file(kHunt + "/zero_height_box/coords.pkl", avatar / "coords.pkl",
                fs::copy_options::overwrite_existing);
  const test::RunResult r = render_without_models("--avatar " + avatar.string() + " --audio " +
                                                  kStreamedWav + " --out " + out_.file("talk.mp4"));
  expect_early_failure(r, (avatar / "coords.pkl").string());
  EXPECT_NE(r.output.find("frame 0 face box"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("is empty (zero height"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("does not lie inside"), std::string::npos) << r.output;
}

TEST_F(RenderInputs, SixtyFpsRendersEveryFrameOfAStreamedWav) {
  const std::string out = out_.file("talk.mp4");
  const test::RunResult r =
      render("--quiet --fps 60 --avatar " + kAvatar + " --audio " + kStreamedWav + " --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("frame #"), std::string::npos) << "no native backtrace\n" << r.output;
  const test::Mp4Info v = probe_mp4(out);
  EXPECT_EQ(v.video_packets, 120) << "2 s at 60 fps";
  EXPECT_NEAR(v.video_seconds, 2.0, 1.0 / 60);
  EXPECT_EQ(v.audio_codec, "aac");
  EXPECT_NEAR(v.audio_seconds, 2.0, 1.0 / 30);
}

TEST_F(RenderInputs, VideoFileAsAudioGivesItsAudio) {
  const std::string out = out_.file("talk.mp4");
  const test::RunResult r =
      render("--quiet --fps 10 --avatar " + kAvatar + " --audio " + kRotatedMp4 + " --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const test::Mp4Info v = probe_mp4(out);
  EXPECT_EQ(v.video_packets, 20) << "2 s at 10 fps";
  EXPECT_EQ(v.audio_codec, "aac");
  EXPECT_NEAR(v.audio_seconds, 2.0, 0.1);
}

TEST_F(RenderInputs, OddFrameSizeIsPaddedByOnePixelAndSaidOnce) {
  const fs::path avatar = copy_avatar();
  // Frames one pixel narrower and shorter (351x607): the face and mask boxes still fit.
  for (const auto& e : fs::directory_iterator(avatar / "full_imgs")) {
    const media::Image img = media::read_png(e.path().string(), 3);
    media::write_png_bgr(e.path().string(), img.pixels.data(), img.width - 1, img.height - 1,
                         img.width * 3);
  }
  const std::string out = out_.file("talk.mp4");
  const std::string frames = out_.file("frames");
  const test::RunResult r = render("--fps 5 --avatar " + avatar.string() + " --audio " +
                                   kStreamedWav + " --out " + out + " --frames-dir " + frames);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(count_of(r.output, "351x607"), 1u) << r.output;
  EXPECT_NE(r.output.find("352x608"), std::string::npos) << r.output;
  const test::Mp4Info v = probe_mp4(out);
  EXPECT_EQ(v.width, 352);
  EXPECT_EQ(v.height, 608);
  EXPECT_EQ(v.video_packets, 10);
  const media::Image png = media::read_png(frames + "/00000000.png", 3);
  EXPECT_EQ(png.width, 351) << "the PNG frames keep the avatar's size";
  EXPECT_EQ(png.height, 607);
}

void set_info_version(const fs::path& avatar, const std::string& version) {
  std::ofstream(avatar / "avator_info.json", std::ios::trunc)
      << R"({"avatar_id": "yongen", "video_path": "data/video/yongen.mp4", "bbox_shift": 0)"
      << (version.empty() ? "" : R"(, "version": ")" + version + "\"") << "}";
}

TEST_F(RenderInputs, TheAvatarsRecordedVersionIsTheDefault) {
  const fs::path avatar = copy_avatar();
  const std::string rest = " --audio " + kStreamedWav + " --out " + out_.file("talk.mp4");
  const std::string v1_unet = (fs::path("no-models") / "musetalk" / "musetalk.json").string();
  const std::string v15_unet = (fs::path("no-models") / "musetalkV15" / "musetalk.json").string();

  set_info_version(avatar, "v1");  // made for v1: render loads the v1 UNet without being told
  test::RunResult r = render_without_models("--avatar " + avatar.string() + rest);
  EXPECT_NE(r.output.find(v1_unet), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("warning"), std::string::npos) << r.output;

  set_info_version(avatar, "");  // records none: v15
  r = render_without_models("--avatar " + avatar.string() + rest);
  EXPECT_NE(r.output.find(v15_unet), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("warning"), std::string::npos) << r.output;
}

TEST_F(RenderInputs, VersionContradictingTheAvatarIsOneWarningLine) {
  // yongen_v15 records "version": "v15".
  const std::string rest = " --audio " + kStreamedWav + " --out " + out_.file("talk.mp4");
  test::RunResult r = render_without_models("--version v1 --avatar " + kAvatar + rest);
  EXPECT_EQ(count_of(r.output, "warning: --version v1 contradicts"), 1u) << r.output;
  EXPECT_NE(r.output.find("avator_info.json"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find((fs::path("musetalk") / "musetalk.json").string()), std::string::npos)
      << "--version wins\n"
      << r.output;
  r = render_without_models("--version v15 --avatar " + kAvatar + rest);
  EXPECT_EQ(r.output.find("warning"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace musetalk
