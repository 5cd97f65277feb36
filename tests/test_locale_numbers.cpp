// Numbers in files read and write the same whatever the process locale: with the whole process
// in a comma-decimal locale (as a host such as OBS may set it) the model configs, checkpoint
// pickles and the upstream avatar load to their true values, and written JSON keeps '.'.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "avatar/avatar.h"
#include "avatar/native_avatar.h"
#include "checkpoint_expectations.h"
#include "comma_locale.h"
#include "files/checkpoint.h"
#include "files/json_file.h"
#include "files/pickle.h"
#include "test_support.h"

namespace musetalk {
namespace {

using nlohmann::ordered_json;

std::string manifest_path(const std::string& stem) {
  return test::fixtures_dir() + "/" + stem + ".manifest.json";
}

std::string upstream_avatar() {
  return test::media_dir() + "/avatars/yongen_v15";
}

TEST(LocaleIndependentNumbers, ModelConfigsReadToTheirValues) {
  // What the configs hold, read in the C locale this test starts in.
  std::map<std::string, ordered_json> reference;
  for (const char* stem : {"unet_tiny", "vae_tiny", "whisper_tiny"}) {
    reference[stem] = files::read_json_file(manifest_path(stem));
  }
  test::CommaDecimalLocale comma;
  ASSERT_COMMA_DECIMAL_LOCALE(comma);
  for (const auto& [stem, want] : reference) {
    SCOPED_TRACE(stem);
    const ordered_json manifest = files::read_json_file(manifest_path(stem));
    EXPECT_EQ(manifest, want) << "the manifest (config, tolerances, weight ranges) reads the same";
  }
  const ordered_json vae = files::read_json_file(manifest_path("vae_tiny")).at("config");
  EXPECT_EQ(files::json_get<double>(vae, "scaling_factor"), 0.18215);
  const ordered_json unet = files::read_json_file(manifest_path("unet_tiny")).at("config");
  EXPECT_EQ(files::json_get<double>(unet, "norm_eps"), 1e-5);
  EXPECT_EQ(files::json_get<int64_t>(unet, "cross_attention_dim"), 384);
  const ordered_json whisper = files::read_json_file(manifest_path("whisper_tiny")).at("config");
  EXPECT_EQ(files::json_get<int64_t>(whisper, "d_model"), 384);
  EXPECT_EQ(files::parse_json("[0.5, -2.25e-3, 1E+2]"), ordered_json({0.5, -0.00225, 100.0}));
}

TEST(LocaleIndependentNumbers, WrittenJsonKeepsThePoint) {
  test::CommaDecimalLocale comma;
  ASSERT_COMMA_DECIMAL_LOCALE(comma);
  const ordered_json j = {{"scaling_factor", 0.18215}, {"ms_per_frame", 12.5}, {"eps", 1e-05}};
  EXPECT_EQ(files::json_dump(j), R"({"scaling_factor":0.18215,"ms_per_frame":12.5,"eps":1e-05})");
  EXPECT_EQ(files::parse_json(files::json_dump(j, 2)), j);
}

TEST(LocaleIndependentNumbers, CheckpointPicklesReadToTheirValues) {
  test::CommaDecimalLocale comma;
  ASSERT_COMMA_DECIMAL_LOCALE(comma);
  const auto expectations = test::load_expectations();  // ckpt_expected.safetensors
  ASSERT_FALSE(expectations.empty());
  for (const std::string& path : test::checkpoint_fixture_paths()) {
    SCOPED_TRACE(path);
    const std::string stem = std::filesystem::path(path).stem().string();
    ASSERT_TRUE(expectations.count(stem));
    EXPECT_EQ(test::compare_with_expected(files::read_checkpoint(path), expectations.at(stem)), "");
  }
  for (const char* name : {"ckpt_nested.pth", "ckpt_nested_legacy.pth"}) {
    SCOPED_TRACE(name);
    const files::Checkpoint ckpt = files::read_checkpoint(test::fixtures_dir() + "/" + name);
    const files::Value* meta = ckpt.root()->get("meta");
    ASSERT_NE(meta, nullptr);
    if (const files::Value* lr = meta->get("lr")) {
      EXPECT_EQ(lr->real, 0.004);
    }
  }
}

// Protocol 0 spells a float as text ("F0.18215\n"), which strtod would cut at the '.'.
TEST(LocaleIndependentNumbers, TextFloatsInPicklesReadToTheirValues) {
  test::CommaDecimalLocale comma;
  ASSERT_COMMA_DECIMAL_LOCALE(comma);
  const std::string bytes = "(lp0\nF0.18215\naF-1e-05\naF2.5\naF+3.0\naFinf\na.";
  files::PickleDocument doc;
  files::ByteReader in(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  const files::Value* root = files::load_pickle(in, doc);
  ASSERT_TRUE(root->is(files::ValueKind::List));
  ASSERT_EQ(root->items.size(), 5u);
  EXPECT_EQ(root->items[0]->real, 0.18215);
  EXPECT_EQ(root->items[1]->real, -1e-05);
  EXPECT_EQ(root->items[2]->real, 2.5);
  EXPECT_EQ(root->items[3]->real, 3.0);
  EXPECT_TRUE(std::isinf(root->items[4]->real));
  for (const std::string bad : {"(F0,5\n.", "(F1.5x\n.", "(F1e999\n."}) {
    files::PickleDocument d;
    files::ByteReader r(reinterpret_cast<const uint8_t*>(bad.data()), bad.size());
    EXPECT_THROW(files::load_pickle(r, d), files::FormatError) << bad;
  }
}

TEST(LocaleIndependentNumbers, UpstreamAvatarLoadsToExpectedValues) {
  test::CommaDecimalLocale comma;
  ASSERT_COMMA_DECIMAL_LOCALE(comma);
  const ordered_json want = files::read_json_file(upstream_avatar() + ".expected.json");
  const auto boxes = [](const std::vector<avatar::Box>& bs) {
    std::vector<std::vector<int64_t>> out;
    for (const avatar::Box& b : bs) out.push_back({b.x1, b.y1, b.x2, b.y2});
    return out;
  };
  const avatar::Avatar a = avatar::load_avatar(upstream_avatar());  // avator_info.json, *.pkl
  EXPECT_EQ(a.model_version, "v15");
  EXPECT_EQ(a.parameters.at("bbox_shift"), 0);
  EXPECT_EQ(static_cast<int64_t>(a.frame_count()), want.at("frames").get<int64_t>());
  EXPECT_EQ(boxes(a.face_boxes), want.at("coords").get<std::vector<std::vector<int64_t>>>());
  EXPECT_EQ(boxes(a.mask_boxes), want.at("mask_coords").get<std::vector<std::vector<int64_t>>>());
  const std::vector<uint8_t> bytes = a.latents.contiguous_bytes();
  for (size_t k = 0; k < 8; ++k) {
    EXPECT_EQ(files::element_as_double(a.latents.dtype, bytes.data() + 2 * k),
              want.at("latent0_first8").at(k).get<double>())
        << k;
  }
  const double abs_sum = want.at("latents_abs_sum").get<double>();
  EXPECT_GT(abs_sum, 1.0) << "the expected sums read as whole numbers, not cut at the '.'";
  EXPECT_NE(abs_sum, std::floor(abs_sum));

  // The native cache written and read back under the same locale.
  test::TempDir tmp;
  avatar::write_native_avatar(a, tmp.file("native"));
  const avatar::Avatar native = avatar::load_avatar(tmp.file("native"));
  EXPECT_EQ(native.face_boxes, a.face_boxes);
  EXPECT_EQ(native.mask_boxes, a.mask_boxes);
  EXPECT_EQ(native.parameters, a.parameters);
  EXPECT_EQ(native.latents.contiguous_bytes(), bytes);
}

}  // namespace
}  // namespace musetalk
