#pragma once
// A small but complete models folder for tests: the fixtures' tiny UNet and VAE configs and
// whisper-tiny, with synthetic weights (fixtures/README.md).

#include <filesystem>
#include <fstream>
#include <string>

#include "files/file_source.h"
#include "files/json.h"
#include "model/model_set.h"
#include "model/synthetic_weights.h"
#include "test_support.h"

namespace musetalk::test {

inline files::Json manifest_config(const std::string& stem) {
  files::Json m =
      files::Json::parse(files::read_text_file(fixtures_dir() + "/" + stem + ".manifest.json"));
  return m.at("config");
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

template <typename Module>
void write_weights(const std::filesystem::path& path, const Module& module,
                   const std::string& prefix = "") {
  std::filesystem::create_directories(path.parent_path());
  StateDict named;
  for (const auto& item : synthetic_weights_for(*module)) {
    named.insert(prefix + item.key(), item.value());
  }
  save_safetensors(path.string(), named);
}

inline void write_tiny_model_set(const std::filesystem::path& dir) {
  const files::Json unet = manifest_config("unet_tiny");
  const files::Json vae = manifest_config("vae_tiny");
  const files::Json whisper = manifest_config("whisper_tiny");
  write_text(dir / "musetalkV15/musetalk.json", unet.dump(2));
  write_text(dir / "sd-vae/config.json", vae.dump(2));
  write_text(dir / "whisper/config.json", whisper.dump(2));
  write_weights(dir / "musetalkV15/unet.safetensors",
                nn::UNet2DConditionModel(nn::UNetConfig::from_json(unet)));
  write_weights(dir / "sd-vae/diffusion_pytorch_model.safetensors",
                nn::AutoencoderKL(nn::VaeConfig::from_json(vae)));
  write_weights(dir / "whisper/model.safetensors",
                nn::WhisperEncoder(nn::WhisperConfig::from_json(whisper, "whisper config")),
                "model.encoder.");
}

}  // namespace musetalk::test
