// The VAE built from sd-vae-ft-mse's config has exactly the parameter names and shapes of the
// released file, and loads both spellings of the mid-block attention strictly.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "files/file_source.h"
#include "files/json_file.h"
#include "nn/vae.h"
#include "test_support.h"
#include "torch_io/strict_load.h"

namespace musetalk::nn {
namespace {

using Shapes = std::map<std::string, std::vector<int64_t>>;

std::string shape_text(const std::vector<int64_t>& s) {
  std::ostringstream out;
  out << "(";
  for (size_t i = 0; i < s.size(); ++i) out << (i ? ", " : "") << s[i];
  out << ")";
  return out.str();
}

Shapes expected_file_shapes() {
  const auto json = files::read_json_file(test::fixtures_dir() + "/keys_vae_sd_ft_mse.json");
  Shapes out;
  for (const auto& [name, shape] : json.items()) {
    for (const nlohmann::ordered_json& d : shape) out[name].push_back(d.get<int64_t>());
  }
  return out;
}

TEST(VaeKeys, RealConfigHasTheReleasedFileNamesAndShapes) {
  AutoencoderKL vae{VaeConfig{}};
  const NameMapper to_file = vae_legacy_file_name();
  Shapes model;
  for (const auto& [name, shape] : named_shapes(*vae)) model[to_file(name)] = shape;
  const Shapes file = expected_file_shapes();

  std::ostringstream differences;
  for (const auto& [name, shape] : file) {
    auto it = model.find(name);
    if (it == model.end()) {
      differences << "\n  missing in model: " << name;
    } else if (it->second != shape) {
      differences << "\n  shape of " << name << ": file " << shape_text(shape) << ", model "
                  << shape_text(it->second);
    }
  }
  for (const auto& [name, shape] : model) {
    if (!file.count(name)) differences << "\n  not in file: " << name;
  }
  EXPECT_EQ(differences.str(), "") << "model vs keys_vae_sd_ft_mse.json:" << differences.str();
  EXPECT_EQ(model.size(), 248u);
}

TEST(VaeKeys, BothAttentionSpellingsLoadStrictly) {
  AutoencoderKL vae{VaeConfig{}};
  const NameMapper to_file = vae_legacy_file_name();
  StateDict current, legacy;
  for (const auto& [name, shape] : named_shapes(*vae)) {
    current.insert(name, torch::full(shape, 0.5));
    legacy.insert(to_file(name), torch::full(shape, 0.25));
  }
  ASSERT_TRUE(current.contains("encoder.mid_block.attentions.0.to_out.0.weight"));
  ASSERT_TRUE(legacy.contains("decoder.mid_block.attentions.0.proj_attn.bias"));

  EXPECT_NO_THROW(load_strict(*vae, current, "current names", vae_name_mapper()));
  EXPECT_EQ(vae->named_parameters()["decoder.mid_block.attentions.0.to_k.weight"]
                .flatten()[0]
                .item<float>(),
            0.5f);
  EXPECT_NO_THROW(load_strict(*vae, legacy, "old names", vae_name_mapper()));
  EXPECT_EQ(vae->named_parameters()["decoder.mid_block.attentions.0.to_k.weight"]
                .flatten()[0]
                .item<float>(),
            0.25f);
}

}  // namespace
}  // namespace musetalk::nn
