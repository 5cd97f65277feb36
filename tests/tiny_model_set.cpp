#include "tiny_model_set.h"

#include <fstream>
#include <functional>

#include "files/json_file.h"
#include "model/model_set.h"
#include "model/synthetic_weights.h"
#include "nn/bisenet.h"
#include "nn/rtmpose.h"
#include "nn/s3fd.h"
#include "test_support.h"
#include "torch_zip_writer.h"

namespace musetalk::test {

namespace fs = std::filesystem;

nlohmann::ordered_json manifest_config(const std::string& stem) {
  return files::read_json_file(fixtures_dir() + "/" + stem + ".manifest.json").at("config");
}

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

namespace {

// Synthetic weights under the module's names, renamed as the released file names them.
template <typename Module>
void write_weights(const fs::path& path, const Module& module,
                   const std::function<std::string(const std::string&)>& file_name) {
  fs::create_directories(path.parent_path());
  StateDict named;
  for (const auto& item : synthetic_weights_for(*module)) {
    named.insert(file_name(item.key()), item.value());
  }
  write_torch_zip(path.string(), to_file_tensors(named));
}

std::string same_name(const std::string& name) {
  return name;
}

}  // namespace

void write_avatar_creation_models(const fs::path& dir) {
  write_weights(dir / "s3fd/s3fd-619a316812.pth", nn::S3FD(), same_name);
  write_weights(dir / "dwpose/dw-ll_ucoco_384.pth", nn::RTMPose(),
                [](const std::string& n) { return "state_dict." + n; });
  write_weights(dir / "face-parse-bisent/79999_iter.pth", nn::BiSeNet(), same_name);
}

void write_tiny_model_set(const fs::path& dir) {
  const nlohmann::ordered_json unet = manifest_config("unet_tiny");
  const nlohmann::ordered_json vae = manifest_config("vae_tiny");
  const nlohmann::ordered_json whisper = manifest_config("whisper_tiny");
  write_text(dir / "musetalkV15/musetalk.json", unet.dump(2));
  write_text(dir / "sd-vae/config.json", vae.dump(2));
  write_text(dir / "whisper/config.json", whisper.dump(2));
  write_weights(dir / "musetalkV15/unet.pth",
                nn::UNet2DConditionModel(nn::UNetConfig::from_json(unet)), same_name);
  write_weights(dir / "sd-vae/diffusion_pytorch_model.bin",
                nn::AutoencoderKL(nn::VaeConfig::from_json(vae)), nn::vae_legacy_file_name());
  write_weights(dir / "whisper/pytorch_model.bin",
                nn::WhisperEncoder(nn::WhisperConfig::from_json(whisper, "whisper config")),
                [](const std::string& n) { return "model.encoder." + n; });
}

ModelSet& shared_tiny_models() {
  static TempDir dir;
  static ModelSet models = [] {
    write_tiny_model_set(dir.path());
    return load_model_set(ModelPaths::in(dir.path().string(), UNetVersion::V15), torch::kCPU,
                          torch::kFloat32);
  }();
  return models;
}

}  // namespace musetalk::test
