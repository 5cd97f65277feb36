// Avatar faults reported against the right cause: an empty face box inside the frame is empty,
// not "outside the frame"; upstream's (0, 0, 0, 0) no-face placeholders are named when they
// explain a latent count; and the avatar says which file records its model version.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "avatar/avatar.h"
#include "avatar/native_avatar.h"
#include "files/error.h"
#include "test_support.h"

namespace musetalk {
namespace {

namespace fs = std::filesystem;
using avatar::Box;

const std::string kUpstream = test::media_dir() + "/avatars/yongen_v15";

// coords.pkl as upstream pickles it (protocol 2): a list of 4-tuples, each box either ints or
// the (0.0, 0.0, 0.0, 0.0) placeholder of a frame without a face.
void write_coords(const fs::path& path, const std::vector<Box>& boxes) {
  std::string p = "\x80\x02]";
  auto int2 = [&](int v) {
    p += 'M';
    p += static_cast<char>(v & 0xff);
    p += static_cast<char>((v >> 8) & 0xff);
  };
  for (const Box& b : boxes) {
    p += '(';
    if (b.empty()) {
      for (int k = 0; k < 4; ++k) p += std::string("G") + std::string(8, '\0');
    } else {
      for (int v : {b.x1, b.y1, b.x2, b.y2}) int2(v);
    }
    p += "ta";
  }
  p += '.';
  std::ofstream(path, std::ios::binary | std::ios::trunc) << p;
}

Error load_error(const fs::path& dir) {
  try {
    avatar::load_avatar(dir.string());
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << dir << " loaded without an error";
  return Error("", "");
}

bool has(const Error& e, const std::string& text) {
  return std::string(e.what()).find(text) != std::string::npos;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

fs::path copy_upstream(const test::TempDir& tmp) {
  const fs::path dir = tmp.path() / "upstream";
  fs::copy(kUpstream, dir, fs::copy_options::recursive);
  return dir;
}

TEST(AvatarFaults, ZeroHeightBoxInsideTheFrameIsEmptyNamingFileAndFrame) {
  test::TempDir tmp;
  const fs::path dir = copy_upstream(tmp);
  fs::copy_file(test::media_dir() + "/hunt/zero_height_box/coords.pkl", dir / "coords.pkl",
                fs::copy_options::overwrite_existing);
  const Error e = load_error(dir);
  EXPECT_TRUE(ends_with(e.input(), "coords.pkl")) << e.what();
  EXPECT_TRUE(has(e, "frame 0 face box")) << e.what();
  EXPECT_TRUE(has(e, "is empty (zero height: y2 <= y1)")) << e.what();
  EXPECT_FALSE(has(e, "does not lie inside")) << e.what();
  EXPECT_FALSE(e.fix().empty());
}

TEST(AvatarFaults, EmptyBoxesOfEveryKindAreCalledEmpty) {
  test::TempDir tmp;
  const fs::path dir = copy_upstream(tmp);
  const std::vector<Box> boxes = avatar::load_avatar(kUpstream).face_boxes;
  const std::vector<std::pair<Box, std::string>> cases = {
      {{120, 140, 120, 200}, "(zero width: x2 <= x1)"},
      {{120, 140, 100, 200}, "(zero width: x2 <= x1)"},
      {{120, 140, 200, 130}, "(zero height: y2 <= y1)"},
      {{120, 140, 120, 140}, "(zero width and height"},
  };
  for (const auto& [box, words] : cases) {
    std::vector<Box> changed = boxes;
    changed[5] = box;
    write_coords(dir / "coords.pkl", changed);
    const Error e = load_error(dir);
    EXPECT_TRUE(has(e, "frame 5 face box")) << e.what();
    EXPECT_TRUE(has(e, words)) << e.what();
  }
  // A box that is not empty but leaves the frame keeps its own message.
  std::vector<Box> outside = boxes;
  outside[5] = {300, 131, 400, 265};
  write_coords(dir / "coords.pkl", outside);
  EXPECT_TRUE(has(load_error(dir), "does not lie inside"));
}

TEST(AvatarFaults, PlaceholderFramesThatExplainTheLatentCountAreNamed) {
  // Upstream makes no latent for a frame whose box is the placeholder: 18 boxes, 16 latents.
  test::TempDir tmp;
  const fs::path dir = copy_upstream(tmp);
  std::vector<Box> boxes = avatar::load_avatar(kUpstream).face_boxes;
  ASSERT_EQ(boxes.size(), 16u);
  boxes.push_back({});
  boxes.push_back({});
  write_coords(dir / "coords.pkl", boxes);
  for (const char* folder : {"full_imgs", "mask"}) {
    for (const char* name : {"00000016.png", "00000017.png"}) {
      fs::copy_file(dir / folder / "00000000.png", dir / folder / name);
    }
  }
  const Error e = load_error(dir);
  EXPECT_TRUE(ends_with(e.input(), "latents.pt")) << e.what();
  EXPECT_TRUE(has(e, "holds 16 latents but coords.pkl has 18 face boxes")) << e.what();
  EXPECT_TRUE(has(e, "2 of the 18 frames (16, 17) have the (0, 0, 0, 0) placeholder box"))
      << e.what();
  EXPECT_TRUE(has(e, "that is why there are 16 latents, not 18")) << e.what();
  EXPECT_TRUE(has(e, "no face")) << e.fix();
}

TEST(AvatarFaults, TheFileRecordingTheModelVersionIsKnown) {
  test::TempDir tmp;
  const avatar::Avatar up = avatar::load_avatar(kUpstream);
  EXPECT_EQ(up.model_version, "v15");
  EXPECT_TRUE(ends_with(up.model_version_source, "avator_info.json")) << up.model_version_source;

  const fs::path dir = copy_upstream(tmp);
  std::ofstream(dir / "avator_info.json", std::ios::trunc) << R"({"bbox_shift": 0})";
  const avatar::Avatar old = avatar::load_avatar(dir.string());
  EXPECT_EQ(old.model_version, "") << "before v1.5 avator_info.json had no version";
  EXPECT_EQ(old.model_version_source, "") << "not recorded, and nothing assumed";

  const fs::path native = tmp.path() / "native";
  avatar::write_native_avatar(up, native.string());
  const avatar::Avatar n = avatar::load_avatar(native.string());
  EXPECT_EQ(n.model_version, "v15");
  EXPECT_TRUE(ends_with(n.model_version_source, "avatar.json")) << n.model_version_source;
}

TEST(AvatarFaults, AnUnrecordedModelVersionStaysUnrecordedThroughImport) {
  test::TempDir tmp;
  const fs::path dir = copy_upstream(tmp);
  std::ofstream(dir / "avator_info.json", std::ios::trunc) << R"({"bbox_shift": 0})";
  const fs::path native = tmp.path() / "native";
  avatar::write_native_avatar(avatar::load_avatar(dir.string()), native.string());

  std::ifstream json(native / "avatar.json");
  const std::string text((std::istreambuf_iterator<char>(json)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("model_version"), std::string::npos) << "no version was recorded\n" << text;
  const avatar::Avatar n = avatar::load_avatar(native.string());
  EXPECT_EQ(n.model_version, "");
  EXPECT_EQ(n.model_version_source, "") << "the copy must not record what the source did not";
}

}  // namespace
}  // namespace musetalk
