// `musetalk avatar info|import` run as a user runs them: the real binary, real folders.
#include <gtest/gtest.h>

#include <filesystem>

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

}  // namespace
}  // namespace musetalk
