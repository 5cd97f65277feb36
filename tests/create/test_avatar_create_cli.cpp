// `musetalk avatar create` end to end as a user runs it: the sample video with a given box and
// with detection (full-size S3FD, DWPose and BiSeNet with synthetic weights, the tiny VAE), the
// avatar rendering with `musetalk render`, a rotated phone clip coming out upright, a still
// image, and bad input refused before any model loads with nothing left behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "avatar/avatar.h"
#include "cli_runner.h"
#include "create/test_clips.h"
#include "media/image_io.h"
#include "test_support.h"
#include "tiny_model_set.h"

namespace musetalk::test {
namespace {

namespace fs = std::filesystem;

// The face of yongen.mp4 (704x1216) as upstream's box for it (the blend fixture's box).
const char* kYongenBox = "225,262,455,530";

class AvatarCreateCli : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    models_ = new TempDir();
    write_tiny_model_set(models_->path());
    write_avatar_creation_models(models_->path());
  }
  static void TearDownTestSuite() {
    delete models_;
    models_ = nullptr;
  }

  static std::string video() { return media_dir() + "/yongen.mp4"; }
  static std::string models_option() { return " --models " + models_->path().string(); }

  // Runs `avatar create` with the tiny/synthetic models.
  static RunResult create(const std::string& args) {
    return run_tool("avatar create" + models_option() + " " + args);
  }

  // Nothing at out and no working folder beside it.
  static void expect_nothing_left(const std::string& out) {
    EXPECT_FALSE(fs::exists(out)) << out;
    const fs::path p = fs::absolute(out);
    EXPECT_FALSE(fs::exists(p.parent_path() / ("." + p.filename().string() + ".work")));
    EXPECT_FALSE(fs::exists(p.parent_path() / ("." + p.filename().string() + ".partial")));
  }

  static TempDir* models_;
  TempDir dir_;
};

TempDir* AvatarCreateCli::models_ = nullptr;

TEST_F(AvatarCreateCli, GivenBoxBuildsAnAvatarThatRenders) {
  const std::string out = dir_.file("yongen");
  const RunResult r = create("--video " + video() + " --box " + kYongenBox +
                             " --duration 0.2 --device cpu --batch 4 --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("5 of 5 frames kept (a cycle of 10)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("face boxes: 5 given"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("preview.png"), std::string::npos) << r.output;

  const avatar::Avatar a = avatar::load_avatar(out);
  ASSERT_EQ(a.frame_count(), 10u);
  EXPECT_EQ(a.model_version, "v15");
  EXPECT_EQ(a.fps, 25);
  EXPECT_EQ(a.frame_width, 704);
  EXPECT_EQ(a.frame_height, 1216);
  EXPECT_EQ(a.face_boxes[0], (avatar::Box{225, 262, 455, 530}));
  // The blend fixture's crop box for this face box.
  EXPECT_EQ(a.mask_boxes[0], (avatar::Box{139, 195, 541, 597}));
  ASSERT_TRUE(a.has_latents());
  EXPECT_EQ(a.latents.sizes, (std::vector<int64_t>{10, 8, 32, 32}));
  // The ping-pong cycle: frame 9 is frame 0.
  EXPECT_EQ(media::read_png(a.frame_files[9], 3).pixels,
            media::read_png(a.frame_files[0], 3).pixels);
  EXPECT_EQ(a.parameters.at("parsing_mode"), "jaw");
  EXPECT_TRUE(fs::is_regular_file(out + "/preview.png"));
  EXPECT_FALSE(fs::exists(dir_.file(".yongen.work")));

  const std::string mp4 = dir_.file("yongen.mp4");
  const RunResult render = run_tool("render --device cpu --quiet --avatar " + out + " --audio " +
                                    sample_dir() + "/voice.wav --out " + mp4 + models_option());
  ASSERT_EQ(render.exit_code, 0) << render.output;
  EXPECT_GT(fs::file_size(mp4), 0u);
}

TEST_F(AvatarCreateCli, DetectionBuildsAConsistentAvatarOrSaysNoFace) {
  const std::string out = dir_.file("detected");
  const RunResult r = create("--video " + video() + " --duration 0.08 --device cpu --out " + out);
  if (r.exit_code == 0) {
    const avatar::Avatar a = avatar::load_avatar(out);  // every per-frame list agrees
    EXPECT_EQ(a.frame_count() % 2, 0u);
    EXPECT_EQ(a.latents.sizes[0], static_cast<int64_t>(a.frame_count()));
    EXPECT_NE(r.output.find("bbox_shift: adjustable range"), std::string::npos) << r.output;
  } else {
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("no face was found"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("--box"), std::string::npos) << r.output;
    expect_nothing_left(out);
  }
}

TEST_F(AvatarCreateCli, ModelsCheckVerifiesTheCreationNetworks) {
  const RunResult r = run_tool("models check --for create --verify" + models_option());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* name : {"VAE", "S3FD", "DWPose", "BiSeNet"}) {
    EXPECT_NE(r.output.find(std::string("loads    ") + name), std::string::npos) << r.output;
  }
  EXPECT_EQ(r.output.find("UNet"), std::string::npos) << r.output;
}

// A phone records landscape pixels and a display matrix: the avatar must be upright.
TEST_F(AvatarCreateCli, RotatedPhoneClipComesOutUpright) {
  ClipSpec clip = constant_rate_clip(3, 25);
  clip.rotate_cw = 90;
  clip.paint = [&](int, std::vector<uint8_t>& bgr) {
    std::fill(bgr.begin(), bgr.end(), 40);
    // A bright 8x8 patch at the coded frame's top-left corner.
    for (int y = 0; y < 8; ++y) {
      for (int x = 0; x < 8; ++x) {
        for (int c = 0; c < 3; ++c) bgr[(y * clip.width + x) * 3 + c] = 230;
      }
    }
  };
  const std::string video_path = dir_.file("phone.mp4");
  write_clip(video_path, clip);
  const std::string out = dir_.file("phone");
  const RunResult r = create("--video " + video_path + " --box 4,4,44,60 --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("rotation"), std::string::npos) << r.output;
  const avatar::Avatar a = avatar::load_avatar(out);
  EXPECT_EQ(a.frame_width, 48);
  EXPECT_EQ(a.frame_height, 64);
  // Turned 90 degrees clockwise, the coded top-left corner is at the top right.
  const media::Image f = media::read_png(a.frame_files[0], 3);
  auto at = [&](int x, int y) { return f.pixels[(y * f.width + x) * 3]; };
  EXPECT_GT(at(f.width - 3, 3), 180);
  EXPECT_LT(at(3, 3), 100);
}

TEST_F(AvatarCreateCli, StillImageIsAOneFrameAvatar) {
  const std::string png = dir_.file("face.png");
  std::vector<uint8_t> bgr(64 * 80 * 3, 90);
  media::write_png_bgr(png, bgr.data(), 64, 80, 64 * 3);
  const std::string out = dir_.file("still");
  // A trailing separator names the same folder.
  const RunResult r = create("--video " + png + " --box 8,10,56,74 --out " + out + "/");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(avatar::load_avatar(out).frame_count(), 2u);
  const RunResult timed =
      create("--video " + png + " --box 8,10,56,74 --start 1 --out " + out + "2");
  EXPECT_NE(timed.exit_code, 0);
  EXPECT_NE(timed.output.find("still image"), std::string::npos) << timed.output;
  expect_nothing_left(out + "2");
}

// Each bad input: a non-zero exit, a message naming it, nothing written, before any model loads
// (the models folder given is empty, so loading would fail differently).
TEST_F(AvatarCreateCli, BadInputIsRefusedUpFrontAndLeavesNothing) {
  const std::string text = dir_.file("notes.txt");
  std::ofstream(text) << "not a video\n";
  const std::string empty_clip = dir_.file("empty.mkv");
  write_clip_without_frames(empty_clip);
  const std::string truncated = dir_.file("truncated.mp4");
  {
    std::ifstream in(video(), std::ios::binary);
    std::vector<char> head(3000);
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    std::ofstream(truncated, std::ios::binary).write(head.data(), in.gcount());
  }
  const std::string exists = dir_.file("exists");
  fs::create_directories(exists);

  struct Case {
    std::string args, expect;
  };
  const std::string v = " --video " + video();
  const std::vector<Case> cases = {
      {"--video " + text + " --box 1,1,9,9", "notes.txt"},
      {"--video " + empty_clip + " --box 1,1,9,9", "empty.mkv"},
      {"--video " + truncated + " --box 1,1,9,9", "truncated.mp4"},
      {"--video " + dir_.file("missing.mp4") + " --box 1,1,9,9", "missing.mp4"},
      {v + " --box 600,262,800,530", "--box"},
      {v + " --box 225,262,225,530", "--box"},
      {v + " --box 1,2,3", "--box 1,2,3"},
      {v + " --bbox-shift 5", "--bbox-shift 5"},
      {v + " --version v1 --bbox-shift 5 --box 225,262,455,530", "--bbox-shift 5"},
      {v + " --version v1 --bbox-shift 5000", "--bbox-shift 5000"},
      {v + " --parsing-mode raw --cheek-width 70", "--cheek-width 70"},
      {v + " --box 225,262,230,530", "--box"},
      {v + " --parsing-mode lips", "lips"},
      {v + " --fps 0", "--fps 0"},
      {v + " --cheek-width 300", "--cheek-width 300"},
      {v + " --batch 0", "--batch 0"},
      {v + " --version v2", "--version v2"},
      {v + " --device tpu", "tpu"},
      {v + " --start 60", "yongen.mp4"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    const std::string out = dir_.file("bad");
    const RunResult r = create(c.args + " --out " + out);
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("loading"), std::string::npos) << r.output;
    expect_nothing_left(out);
  }
  const RunResult taken =
      create("--video " + video() + " --box " + kYongenBox + " --out " + exists);
  EXPECT_NE(taken.exit_code, 0);
  EXPECT_NE(taken.output.find("already exists"), std::string::npos) << taken.output;

  TempDir no_models;
  const RunResult missing = run_tool("avatar create --video " + video() + " --out " +
                                     dir_.file("m") + " --models " + no_models.path().string());
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("models download --for create"), std::string::npos)
      << missing.output;
  expect_nothing_left(dir_.file("m"));
}

}  // namespace
}  // namespace musetalk::test
