// Avatar caches: upstream MuseTalk's real-time folder loads to the values in
// yongen_v15.expected.json, imports to the native cache unchanged, and every damaged avatar is an
// Error naming the file (and frame) at fault.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "avatar/avatar.h"
#include "avatar/native_avatar.h"
#include "avatar/png_info.h"
#include "files/error.h"
#include "files/file_source.h"
#include "files/json_file.h"
#include "test_support.h"

namespace musetalk {
namespace {

namespace fs = std::filesystem;
using avatar::Avatar;
using avatar::Box;

std::string upstream_dir() {
  return test::media_dir() + "/avatars/yongen_v15";
}

using nlohmann::ordered_json;

ordered_json expected() {
  return files::read_json_file(upstream_dir() + ".expected.json");
}

std::vector<Box> json_boxes(const ordered_json& j) {
  std::vector<Box> out;
  for (const ordered_json& c : files::json_array(j)) {
    out.push_back({c.at(0).get<int>(), c.at(1).get<int>(), c.at(2).get<int>(), c.at(3).get<int>()});
  }
  return out;
}

// The Error load_avatar throws for path (a failure if it throws none).
Error load_error(const std::string& path) {
  try {
    avatar::load_avatar(path);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << path << " loaded without an error";
  return Error("", "");
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

#define EXPECT_NAMES(error, file, text)                                           \
  do {                                                                            \
    const Error& e_ = (error);                                                    \
    EXPECT_TRUE(ends_with(e_.input(), file)) << e_.what();                        \
    EXPECT_NE(std::string(e_.what()).find(text), std::string::npos) << e_.what(); \
  } while (0)

// A writable copy of the upstream avatar.
fs::path copy_upstream(const test::TempDir& tmp) {
  const fs::path dir = tmp.path() / "upstream";
  fs::copy(upstream_dir(), dir, fs::copy_options::recursive);
  return dir;
}

// A native import of the upstream avatar, and a way to rewrite its avatar.json.
fs::path native_copy(const test::TempDir& tmp) {
  const fs::path dir = tmp.path() / "native";
  avatar::write_native_avatar(avatar::load_avatar(upstream_dir()), dir.string());
  return dir;
}

void set_json_field(const fs::path& dir, const std::string& key, ordered_json value) {
  const std::string path = (dir / "avatar.json").string();
  ordered_json j = files::read_json_file(path);
  j[key] = std::move(value);
  std::ofstream(path, std::ios::trunc) << j.dump(1);
}

ordered_json boxes_with(const std::vector<Box>& boxes, size_t i, Box b) {
  ordered_json out = ordered_json::array();
  for (size_t k = 0; k < boxes.size(); ++k) {
    const Box& c = k == i ? b : boxes[k];
    out.push_back(ordered_json::array({c.x1, c.y1, c.x2, c.y2}));
  }
  return out;
}

TEST(Avatar, UpstreamLoadsToExpectedValues) {
  const ordered_json want = expected();
  const Avatar a = avatar::load_avatar(upstream_dir());
  EXPECT_EQ(a.layout, "upstream");
  EXPECT_EQ(a.model_version, "v15");
  EXPECT_EQ(a.source, "data/video/yongen.mp4");
  EXPECT_EQ(a.parameters.at("bbox_shift").get<int64_t>(), 0);
  EXPECT_EQ(static_cast<int64_t>(a.frame_count()), want.at("frames").get<int64_t>());
  EXPECT_EQ(a.frame_width, 352);
  EXPECT_EQ(a.frame_height, 608);
  EXPECT_EQ(a.face_boxes, json_boxes(want.at("coords")));
  EXPECT_EQ(a.mask_boxes, json_boxes(want.at("mask_coords")));

  const avatar::PngInfo mask = avatar::read_png_info(a.mask_files[0]);
  EXPECT_EQ(mask.width, want.at("mask_png_shape").at(1).get<int64_t>());
  EXPECT_EQ(mask.height, want.at("mask_png_shape").at(0).get<int64_t>());
  EXPECT_EQ(mask.channels(), 1);

  EXPECT_EQ(a.latents.dtype, files::DType::Float16);
  EXPECT_EQ(a.latents.sizes, (std::vector<int64_t>{16, 8, 32, 32}));
  const std::vector<uint8_t> bytes = a.latents.contiguous_bytes();
  double sum = 0, abs_sum = 0;
  for (size_t k = 0; k < a.latents.numel(); ++k) {
    const double v = files::element_as_double(a.latents.dtype, bytes.data() + 2 * k);
    sum += v;
    abs_sum += std::fabs(v);
    if (k < 8) {
      EXPECT_EQ(v, want.at("latent0_first8").at(k).get<double>()) << k;
    }
  }
  const double want_abs = want.at("latents_abs_sum").get<double>();
  EXPECT_NEAR(sum, want.at("latents_sum").get<double>(), 1e-6 * want_abs);
  EXPECT_NEAR(abs_sum, want_abs, 1e-6 * want_abs);
}

TEST(Avatar, ImportedNativeCacheLoadsIdentically) {
  test::TempDir tmp;
  const Avatar up = avatar::load_avatar(upstream_dir());
  const fs::path dir = native_copy(tmp);
  const Avatar native = avatar::load_avatar(dir.string());
  EXPECT_EQ(native.layout, "native");
  EXPECT_EQ(native.format_version, avatar::kNativeFormatVersion);
  EXPECT_EQ(native.model_version, up.model_version);
  EXPECT_EQ(native.source, up.source);
  EXPECT_EQ(native.fps, up.fps);
  EXPECT_EQ(native.parameters.dump(), up.parameters.dump());
  EXPECT_EQ(native.frame_width, up.frame_width);
  EXPECT_EQ(native.frame_height, up.frame_height);
  EXPECT_EQ(native.face_boxes, up.face_boxes);
  EXPECT_EQ(native.mask_boxes, up.mask_boxes);
  EXPECT_EQ(native.latents.dtype, files::DType::Float16);
  EXPECT_EQ(native.latents.sizes, up.latents.sizes);
  EXPECT_EQ(native.latents.contiguous_bytes(), up.latents.contiguous_bytes());
  ASSERT_EQ(native.frame_count(), up.frame_count());
  for (size_t i = 0; i < up.frame_count(); ++i) {
    EXPECT_EQ(files::read_whole_file(native.frame_files[i]),
              files::read_whole_file(up.frame_files[i]))
        << i;
    EXPECT_EQ(files::read_whole_file(native.mask_files[i]),
              files::read_whole_file(up.mask_files[i]))
        << i;
  }
  EXPECT_FALSE(fs::exists(tmp.path() / ".native.partial"));
}

TEST(Avatar, MissingLatentsPtNamesIt) {
  test::TempDir tmp;
  const fs::path dir = copy_upstream(tmp);
  fs::remove(dir / "latents.pt");
  EXPECT_NAMES(load_error(dir.string()), "latents.pt", "not found");
}

// A folder that holds an avatar (as data/sample holds avatar/) is not one: the fix names it.
TEST(Avatar, AFolderHoldingAnAvatarNamesItInTheFix) {
  try {
    avatar::load_avatar(test::sample_dir());
    FAIL() << "data/sample is not an avatar folder";
  } catch (const Error& e) {
    EXPECT_NE(e.fix().find(test::sample_dir() + "/avatar"), std::string::npos) << e.what();
  }
}

TEST(Avatar, NativeCacheWithoutLatentsLoadsForTheVaeToFill) {
  test::TempDir tmp;
  const fs::path dir = native_copy(tmp);
  fs::remove(dir / "latents.safetensors");
  const Avatar a = avatar::load_avatar(dir.string());
  EXPECT_FALSE(a.has_latents());
  EXPECT_EQ(a.sources.latents, "");
  EXPECT_EQ(a.frame_count(), 16u);
  EXPECT_TRUE(avatar::load_avatar(upstream_dir()).has_latents());
}

TEST(Avatar, TruncatedNativeLatentsNamesThem) {
  test::TempDir tmp;
  const fs::path dir = native_copy(tmp);
  fs::resize_file(dir / "latents.safetensors", fs::file_size(dir / "latents.safetensors") - 100);
  EXPECT_NAMES(load_error(dir.string()), "latents.safetensors", "");
}

TEST(Avatar, TruncatedCoordsPklNamesIt) {
  test::TempDir tmp;
  const fs::path dir = copy_upstream(tmp);
  fs::resize_file(dir / "coords.pkl", fs::file_size(dir / "coords.pkl") / 2);
  EXPECT_NAMES(load_error(dir.string()), "coords.pkl", "pickle");
}

TEST(Avatar, MaskOfTheWrongSizeNamesFileAndFrame) {
  test::TempDir tmp;
  const fs::path dir = copy_upstream(tmp);
  fs::copy_file(dir / "full_imgs/00000000.png", dir / "mask/00000003.png",
                fs::copy_options::overwrite_existing);
  EXPECT_NAMES(load_error(dir.string()), "mask/00000003.png", "frame 3 mask is 352x608");
}

TEST(Avatar, FramePngThatIsNotAPngNamesIt) {
  test::TempDir tmp;
  const fs::path dir = copy_upstream(tmp);
  std::ofstream(dir / "full_imgs/00000004.png", std::ios::trunc) << "not an image";
  EXPECT_NAMES(load_error(dir.string()), "full_imgs/00000004.png", "not a PNG");
}

TEST(Avatar, MissingFramePngNamesFileAndFrame) {
  test::TempDir tmp;
  const fs::path dir = copy_upstream(tmp);
  fs::remove(dir / "full_imgs/00000007.png");
  EXPECT_NAMES(load_error(dir.string()), "full_imgs/00000007.png", "frame 7 is missing");
}

TEST(Avatar, ExtraFramePngIsACountMismatch) {
  test::TempDir tmp;
  const fs::path dir = copy_upstream(tmp);
  fs::copy_file(dir / "full_imgs/00000000.png", dir / "full_imgs/00000016.png");
  EXPECT_NAMES(load_error(dir.string()), "full_imgs", "holds 17 frame PNGs");
}

TEST(Avatar, BoxOutsideTheFrameNamesFileAndFrame) {
  test::TempDir tmp;
  const fs::path dir = native_copy(tmp);
  const Avatar a = avatar::load_avatar(dir.string());
  set_json_field(dir, "face_boxes", boxes_with(a.face_boxes, 5, {300, 131, 400, 265}));
  EXPECT_NAMES(load_error(dir.string()), "avatar.json", "frame 5 face box (300, 131, 400, 265)");
}

TEST(Avatar, PlaceholderBoxIsAFrameWithoutFace) {
  test::TempDir tmp;
  const fs::path dir = native_copy(tmp);
  const Avatar a = avatar::load_avatar(dir.string());
  set_json_field(dir, "face_boxes", boxes_with(a.face_boxes, 2, {0, 0, 0, 0}));
  EXPECT_NAMES(load_error(dir.string()), "avatar.json", "frame 2 has no face box");
}

TEST(Avatar, MaskBoxCountMismatchNamesIt) {
  test::TempDir tmp;
  const fs::path dir = native_copy(tmp);
  Avatar a = avatar::load_avatar(dir.string());
  a.mask_boxes.pop_back();
  set_json_field(dir, "mask_boxes", boxes_with(a.mask_boxes, 99, {}));
  EXPECT_NAMES(load_error(dir.string()), "avatar.json", "holds 15 mask boxes");
}

TEST(Avatar, FrameSizeDisagreeingWithAvatarJsonNamesTheFrame) {
  test::TempDir tmp;
  const fs::path dir = native_copy(tmp);
  set_json_field(dir, "frame_size", ordered_json{{"width", 350}, {"height", 608}});
  EXPECT_NAMES(load_error(dir.string()), "frames/00000000.png", "frame 0 is 352x608");
}

TEST(Avatar, FolderWithoutAvatarFilesSaysWhatWasExpected) {
  test::TempDir tmp;
  EXPECT_NAMES(load_error(tmp.path().string()), tmp.path().filename().string(),
               "expected avatar.json");
  EXPECT_NAMES(load_error((tmp.path() / "absent").string()), "absent", "not found");
}

TEST(Avatar, FailedImportLeavesNothing) {
  test::TempDir tmp;
  Avatar a = avatar::load_avatar(upstream_dir());
  a.mask_files[9] = (tmp.path() / "gone.png").string();  // fails half way through copying
  const fs::path out = tmp.path() / "out";
  EXPECT_THROW(avatar::write_native_avatar(a, out.string()), Error);
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(fs::is_empty(tmp.path())) << "no temporary folder is left behind";
}

TEST(Avatar, ImportRefusesAnExistingOutput) {
  test::TempDir tmp;
  const Avatar a = avatar::load_avatar(upstream_dir());
  try {
    avatar::write_native_avatar(a, tmp.path().string());
    ADD_FAILURE() << "wrote into an existing folder";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("already exists"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

}  // namespace
}  // namespace musetalk
