// The upstream avatar cache's pickles (latents.pt saved from cuda:0, coords.pkl with numpy int64
// scalars) read to the values in yongen_v15.expected.json.
#include <gtest/gtest.h>

#include <cmath>

#include "files/checkpoint.h"
#include "files/json_file.h"
#include "files/pickle.h"
#include "test_support.h"

namespace musetalk {
namespace {

const std::string kAvatar = "/avatars/yongen_v15";

using nlohmann::ordered_json;

ordered_json expected() {
  return files::read_json_file(test::media_dir() + kAvatar + ".expected.json");
}

std::vector<std::vector<int64_t>> boxes(const files::Value& list) {
  std::vector<std::vector<int64_t>> out;
  for (const files::Value* box : list.items) {
    std::vector<int64_t> b;
    for (const files::Value* v : box->items) {
      EXPECT_TRUE(v->is(files::ValueKind::Int)) << v->describe();
      b.push_back(v->integer);
    }
    out.push_back(b);
  }
  return out;
}

std::vector<std::vector<int64_t>> json_boxes(const ordered_json& j) {
  return j.get<std::vector<std::vector<int64_t>>>();
}

TEST(UpstreamAvatarFiles, LatentsPtMatchesExpectedValues) {
  const ordered_json want = expected();
  files::Checkpoint ckpt = files::read_checkpoint(test::media_dir() + kAvatar + "/latents.pt");
  EXPECT_EQ(ckpt.container, files::Container::TorchZip);
  const auto shape = want.at("latents_shape").get<std::vector<int64_t>>();
  ASSERT_EQ(ckpt.tensors.size(), static_cast<size_t>(shape[0]));
  double sum = 0, abs_sum = 0;
  for (size_t i = 0; i < ckpt.tensors.size(); ++i) {
    const auto& [name, t] = ckpt.tensors[i];
    EXPECT_EQ(name, std::to_string(i)) << "list elements are named by index";
    EXPECT_EQ(t.dtype, files::DType::Float16);
    EXPECT_EQ(t.storage->location, "cuda:0");
    ASSERT_EQ(t.sizes.size(), shape.size() - 1);
    for (size_t d = 1; d < shape.size(); ++d) EXPECT_EQ(t.sizes[d - 1], shape[d]);
    std::vector<uint8_t> bytes = t.contiguous_bytes();
    for (size_t k = 0; k < t.numel(); ++k) {
      double v = files::element_as_double(t.dtype, bytes.data() + 2 * k);
      sum += v;
      abs_sum += std::fabs(v);
      if (i == 0 && k < 8) {
        EXPECT_EQ(v, want.at("latent0_first8").at(k).get<double>()) << "element " << k;
      }
    }
  }
  // The expected sums were accumulated in float32: allow its rounding (relative 1e-6).
  const double want_sum = want.at("latents_sum").get<double>();
  const double want_abs = want.at("latents_abs_sum").get<double>();
  EXPECT_NEAR(sum, want_sum, 1e-6 * want_abs);
  EXPECT_NEAR(abs_sum, want_abs, 1e-6 * want_abs);
}

TEST(UpstreamAvatarFiles, CoordsPklHoldsNumpyIntBoxes) {
  const ordered_json want = expected();
  files::PickleDocument coords =
      files::read_pickle_file(test::media_dir() + kAvatar + "/coords.pkl");
  ASSERT_TRUE(coords.root().is(files::ValueKind::List));
  EXPECT_EQ(boxes(coords.root()), json_boxes(want.at("coords")));
  EXPECT_EQ(static_cast<int64_t>(coords.root().items.size()), want.at("frames").get<int64_t>());
}

TEST(UpstreamAvatarFiles, MaskCoordsPklMatches) {
  files::PickleDocument mask_coords =
      files::read_pickle_file(test::media_dir() + kAvatar + "/mask_coords.pkl");
  EXPECT_EQ(boxes(mask_coords.root()), json_boxes(expected().at("mask_coords")));
}

}  // namespace
}  // namespace musetalk
