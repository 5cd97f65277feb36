// `musetalk avatar info|import` run as a user runs them: the real binary, real folders; and the
// UNet version `render` picks for an avatar and for its imported copy.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli_runner.h"
#include "test_support.h"

namespace musetalk {
namespace {

namespace fs = std::filesystem;

std::string upstream_dir() {
  return test::media_dir() + "/avatars/yongen_v15";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(AvatarCli, InfoSummarisesTheUpstreamAvatar) {
  test::RunResult r = test::run_tool("avatar info " + upstream_dir());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "layout:      upstream")) << r.output;
  EXPECT_TRUE(contains(r.output, "version:     v15")) << r.output;
  EXPECT_TRUE(contains(r.output, "frames:      16")) << r.output;
  EXPECT_TRUE(contains(r.output, "frame size:  352x608")) << r.output;
  EXPECT_TRUE(contains(r.output, "x 110..230, y 131..265")) << r.output;
  EXPECT_TRUE(contains(r.output, "float16 [16, 8, 32, 32]")) << r.output;
}

TEST(AvatarCli, InfoOnAMissingFolderFailsNamingIt) {
  test::TempDir tmp;
  const std::string missing = (tmp.path() / "no-such-avatar").string();
  test::RunResult r = test::run_tool("avatar info " + missing);
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, missing)) << r.output;
}

TEST(AvatarCli, ImportWritesANativeCacheThatInfoReads) {
  test::TempDir tmp;
  const std::string out = (tmp.path() / "yongen").string();
  test::RunResult r = test::run_tool("avatar import " + upstream_dir() + " " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run_tool("avatar info " + out);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "layout:      native (format version 1)")) << r.output;
  EXPECT_TRUE(contains(r.output, "frames:      16")) << r.output;

  r = test::run_tool("avatar import " + upstream_dir() + " " + out);
  EXPECT_NE(r.exit_code, 0) << "OUT exists";
  EXPECT_TRUE(contains(r.output, "already exists")) << r.output;
}

TEST(AvatarCli, FailedImportLeavesNoOutput) {
  test::TempDir tmp;
  const std::string out = (tmp.path() / "out").string();
  test::RunResult r = test::run_tool("avatar import " + tmp.path().string() + " " + out);
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_FALSE(fs::exists(out));
}

// A writable copy of the upstream avatar whose avator_info.json holds info_json.
fs::path upstream_copy(const test::TempDir& tmp, const std::string& info_json) {
  const fs::path dir = tmp.path() / "upstream";
  fs::copy(upstream_dir(), dir, fs::copy_options::recursive);
  std::ofstream(dir / "avator_info.json", std::ios::trunc) << info_json;
  return dir;
}

// render with a models folder that does not exist: it stops at the first file of the UNet it
// chose, after every version check and warning.
test::RunResult render_without_models(const test::TempDir& tmp, const std::string& avatar,
                                      const std::string& args = "") {
  return test::run_tool("render --device cpu --models " + tmp.file("no-models") + " --avatar " +
                        avatar + " --audio " + test::media_dir() +
                        "/hunt/streamed_wav_header.wav --out " + tmp.file("talk.mp4") + " " + args);
}

const std::string kV15Unet = (fs::path("no-models") / "musetalkV15" / "musetalk.json").string();
const std::string kV1Unet = (fs::path("no-models") / "musetalk" / "musetalk.json").string();

size_t count_of(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST(AvatarCli, AnUnrecordedVersionRendersAlikeBeforeAndAfterImport) {
  // Upstream avatars from before v1.5 record no "version".
  test::TempDir tmp;
  const std::string upstream = upstream_copy(tmp, R"({"bbox_shift": 0})").string();
  const std::string native = tmp.file("native");
  test::RunResult r = test::run_tool("avatar import " + upstream + " " + native);
  ASSERT_EQ(r.exit_code, 0) << r.output;

  for (const std::string& avatar : {upstream, native}) {
    SCOPED_TRACE(avatar);
    r = test::run_tool("avatar info " + avatar);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "version:     (not recorded: render uses v15 unless --version"))
        << r.output;

    r = render_without_models(tmp, avatar);
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_TRUE(contains(r.output, kV15Unet)) << "the default, v15\n" << r.output;
    EXPECT_FALSE(contains(r.output, "warning")) << r.output;

    r = render_without_models(tmp, avatar, "--version v1");
    EXPECT_TRUE(contains(r.output, kV1Unet)) << r.output;
    EXPECT_FALSE(contains(r.output, "warning")) << "nothing recorded to contradict\n" << r.output;
  }
}

TEST(AvatarCli, RecordedVersionSurvivesImport) {
  test::TempDir tmp;
  const std::string upstream = upstream_copy(tmp, R"({"version": "v1"})").string();
  const std::string native = tmp.file("native");
  test::RunResult r = test::run_tool("avatar import " + upstream + " " + native);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const std::string& avatar : {upstream, native}) {
    SCOPED_TRACE(avatar);
    r = test::run_tool("avatar info " + avatar);
    EXPECT_TRUE(contains(r.output, "version:     v1\n")) << r.output;
    r = render_without_models(tmp, avatar);
    EXPECT_TRUE(contains(r.output, kV1Unet)) << r.output;
  }
}

TEST(AvatarCli, UnknownRecordedVersionIsIgnoredForVersionInOneWarningLine) {
  test::TempDir tmp;
  const std::string upstream = upstream_copy(tmp, R"({"version": "v9"})").string();
  test::RunResult r = render_without_models(tmp, upstream);
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "records model version \"v9\"")) << r.output;
  EXPECT_TRUE(contains(r.output, "--version v15")) << "the fix\n" << r.output;

  r = render_without_models(tmp, upstream, "--version v1");
  EXPECT_EQ(count_of(r.output, "warning: "), 1u) << r.output;
  EXPECT_TRUE(contains(r.output, "\"v9\"")) << r.output;
  EXPECT_TRUE(contains(r.output, "avator_info.json")) << r.output;
  EXPECT_TRUE(contains(r.output, "ignored, using --version v1")) << r.output;
  EXPECT_TRUE(contains(r.output, kV1Unet)) << r.output;
}

}  // namespace
}  // namespace musetalk
