// VideoFileSink's frames folder (render --frames-dir): staged in "<dir>.partial", renamed on
// finish, and never left behind nor taken from the user: a sink that fails to open removes the
// staging folder it made, and an existing one is refused, not deleted.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "adapters/file_adapters.h"
#include "files/error.h"
#include "test_support.h"

namespace musetalk::adapters {
namespace {

namespace fs = std::filesystem;

constexpr int kSide = 16;

TEST(VideoFileSink, StagingFolderSitsBesideTheFramesFolder) {
  EXPECT_EQ(frames_staging_dir("out/frames"), "out/frames.partial");
  EXPECT_EQ(frames_staging_dir("out/frames/"), "out/frames.partial");
  EXPECT_EQ(frames_staging_dir("frames"), "frames.partial");
}

TEST(VideoFileSink, FinishRenamesTheStagingFolderToTheFramesFolder) {
  test::TempDir tmp;
  const std::string frames = tmp.file("frames");
  {
    VideoFileSink sink(tmp.file("talk.mp4"), kSide, kSide, 25, 18, "", frames);
    EXPECT_TRUE(fs::is_directory(frames_staging_dir(frames)));
    const std::vector<uint8_t> bgr(kSide * kSide * 3, 128);
    sink.write_bgr(bgr.data(), kSide, kSide, kSide * 3);
    sink.finish();
  }
  EXPECT_TRUE(fs::is_regular_file(fs::path(frames) / "00000000.png"));
  EXPECT_FALSE(fs::exists(frames_staging_dir(frames)));
  EXPECT_TRUE(fs::is_regular_file(tmp.file("talk.mp4")));
}

TEST(VideoFileSink, FailingToOpenTheVideoRemovesTheStagingFolder) {
  test::TempDir tmp;
  const std::string frames = tmp.file("frames");
  // The audio file is missing: Mp4Writer::open throws after the staging folder was made.
  EXPECT_THROW(
      VideoFileSink(tmp.file("talk.mp4"), kSide, kSide, 25, 18, tmp.file("no.wav"), frames), Error);
  EXPECT_FALSE(fs::exists(frames_staging_dir(frames))) << "left behind by the failed constructor";
  EXPECT_FALSE(fs::exists(frames));
  EXPECT_FALSE(fs::exists(tmp.file("talk.mp4")));
}

TEST(VideoFileSink, ExistingStagingFolderIsRefusedAndKept) {
  test::TempDir tmp;
  const std::string frames = tmp.file("frames");
  const fs::path staging = frames_staging_dir(frames);
  fs::create_directory(staging);
  std::ofstream(staging / "mine.txt") << "someone's file";
  try {
    VideoFileSink sink(tmp.file("talk.mp4"), kSide, kSide, 25, 18, "", frames);
    ADD_FAILURE() << "an existing staging folder was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), staging.string()) << e.what();
    EXPECT_NE(e.problem().find("already exists"), std::string::npos) << e.what();
    EXPECT_NE(e.fix().find("remove it"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_regular_file(staging / "mine.txt")) << "the user's file was deleted";
  EXPECT_FALSE(fs::exists(frames));
}

}  // namespace
}  // namespace musetalk::adapters
