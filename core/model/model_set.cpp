#include "model/model_set.h"

#include <filesystem>

#include "files/error.h"
#include "files/file_source.h"
#include "files/json_file.h"
#include "model/synthetic_weights.h"
#include "torch_io/strict_load.h"

namespace musetalk {
namespace {

namespace fs = std::filesystem;

// The first of the candidates that exists, else the first (so the error names it).
std::string first_present(const fs::path& dir, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (fs::exists(dir / n)) return (dir / n).string();
  }
  return (dir / *names.begin()).string();
}

nlohmann::ordered_json read_config(const std::string& path) {
  return files::read_json_file(path, "download it again (see models/README.md)");
}

// Config parsing errors (wrong types, unsupported values) name the config file.
template <typename Parse>
auto parse_config(const std::string& path, Parse parse) {
  const nlohmann::ordered_json json = read_config(path);
  try {
    return parse(json);
  } catch (const files::FormatError& e) {
    throw Error(path, std::string("unexpected config: ") + e.what());
  } catch (const Error& e) {
    if (e.input() == path) throw;
    throw Error(path, e.input() + ": " + e.problem(), e.fix());
  }
}

void require_file(const std::string& f) {
  if (!fs::is_regular_file(f)) {
    throw Error(
        f, "model file not found",
        "download it as models/README.md says; `musetalk models check` lists what is missing");
  }
}

void require_files(const ModelPaths& p) {
  for (const std::string* f : {&p.unet_config, &p.unet_weights, &p.vae_config, &p.vae_weights,
                               &p.whisper_config, &p.whisper_weights}) {
    require_file(*f);
  }
}

template <typename Module>
void load_weights(Module& module, const std::string& path, const NameMapper& mapper = {}) {
  load_strict(*module, load_state_dict(path), path, mapper);
}

std::vector<torch::nn::Module*> modules(ModelSet& set) {
  return {set.unet.get(), set.vae.get(), set.whisper.get()};
}

// Moves the networks to the set's device and dtype for inference, then precomputes the UNet's
// t = 0 constants (MuseTalk scripts/realtime_inference.py always passes timestep 0).
void make_ready(ModelSet& set) {
  for (torch::nn::Module* m : modules(set)) {
    m->to(set.device, set.dtype);
    m->eval();
    for (auto& p : m->parameters()) p.set_requires_grad(false);  // inference only
  }
  torch::InferenceMode inference;
  set.unet->prepare();
}

}  // namespace

UNetVersion parse_unet_version(const std::string& text) {
  if (text == "v15" || text == "v1.5") return UNetVersion::V15;
  if (text == "v1") return UNetVersion::V1;
  throw Error("version " + text, "unknown model version", "use v15 or v1");
}

ModelPaths ModelPaths::in(const std::string& dir, UNetVersion version) {
  const fs::path root(dir);
  ModelPaths p;
  const fs::path unet = root / (version == UNetVersion::V15 ? "musetalkV15" : "musetalk");
  p.unet_config = (unet / "musetalk.json").string();
  p.unet_weights = version == UNetVersion::V15
                       ? first_present(unet, {"unet.pth", "unet.safetensors"})
                       : first_present(unet, {"pytorch_model.bin", "model.safetensors"});
  p.vae_config = (root / "sd-vae" / "config.json").string();
  p.vae_weights = first_present(
      root / "sd-vae", {"diffusion_pytorch_model.bin", "diffusion_pytorch_model.safetensors"});
  p.whisper_config = (root / "whisper" / "config.json").string();
  p.whisper_weights = first_present(root / "whisper", {"pytorch_model.bin", "model.safetensors"});
  return p;
}

ModelSet load_model_set(const ModelPaths& paths, torch::Device device, torch::ScalarType dtype) {
  require_files(paths);
  ModelSet set;
  set.device = device;
  set.dtype = dtype;
  set.unet_config = parse_config(paths.unet_config, nn::UNetConfig::from_json);
  set.vae_config = parse_config(paths.vae_config, nn::VaeConfig::from_json);
  set.whisper_config = parse_config(paths.whisper_config, [&](const nlohmann::ordered_json& j) {
    return nn::WhisperConfig::from_json(j, paths.whisper_config);
  });

  set.unet = nn::UNet2DConditionModel(set.unet_config);
  load_weights(set.unet, paths.unet_weights);
  set.vae = nn::AutoencoderKL(set.vae_config);
  load_weights(set.vae, paths.vae_weights, nn::vae_name_mapper());
  set.whisper = nn::WhisperEncoder(set.whisper_config);
  load_weights(set.whisper, paths.whisper_weights, nn::whisper_name_mapper());

  make_ready(set);
  return set;
}

void check_network_loads(const ModelPaths& paths, Network network) {
  // The steps of load_model_set for one network, with the same helpers and so the same errors;
  // the network goes out of scope before the next one is built.
  torch::NoGradGuard no_grad;
  switch (network) {
    case Network::UNet: {
      require_file(paths.unet_config);
      require_file(paths.unet_weights);
      nn::UNet2DConditionModel unet(parse_config(paths.unet_config, nn::UNetConfig::from_json));
      load_weights(unet, paths.unet_weights);
      return;
    }
    case Network::Vae: {
      require_file(paths.vae_config);
      require_file(paths.vae_weights);
      nn::AutoencoderKL vae(parse_config(paths.vae_config, nn::VaeConfig::from_json));
      load_weights(vae, paths.vae_weights, nn::vae_name_mapper());
      return;
    }
    case Network::Whisper: {
      require_file(paths.whisper_config);
      require_file(paths.whisper_weights);
      nn::WhisperEncoder whisper(parse_config(paths.whisper_config, [&](const auto& j) {
        return nn::WhisperConfig::from_json(j, paths.whisper_config);
      }));
      load_weights(whisper, paths.whisper_weights, nn::whisper_name_mapper());
      return;
    }
  }
}

ModelSet synthetic_model_set(torch::Device device, torch::ScalarType dtype) {
  ModelSet set;
  set.device = device;
  set.dtype = dtype;
  set.unet = nn::UNet2DConditionModel(set.unet_config);
  set.vae = nn::AutoencoderKL(set.vae_config);
  set.whisper = nn::WhisperEncoder(set.whisper_config);
  for (torch::nn::Module* m : modules(set)) {
    load_strict(*m, synthetic_weights_for(*m), "synthetic weights");
  }
  make_ready(set);
  return set;
}

}  // namespace musetalk
