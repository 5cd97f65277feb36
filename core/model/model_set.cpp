#include "model/model_set.h"

#include <filesystem>

#include "files/error.h"
#include "files/file_source.h"
#include "files/json_file.h"
#include "files/model_layout.h"
#include "model/synthetic_weights.h"
#include "torch_io/strict_load.h"

namespace musetalk {
namespace {

namespace fs = std::filesystem;

using files::first_present;

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

std::string version_name(UNetVersion v) {
  return v == UNetVersion::V15 ? "v15" : "v1";
}

// The fix of a load that wants one UNet version from a folder that holds the other only, for
// the tool's options and the OBS source alike.
std::string other_unet_version_fix(UNetVersion held, UNetVersion wanted) {
  const std::string v = version_name(held);
  return "use MuseTalk " + v + " (render and stream: --version " + v +
         "; the OBS source: an avatar made for " + v + "), or add the " + version_name(wanted) +
         " UNet as models/README.md says";
}

// A UNet file (config or weights) of p, which ModelPaths::in laid out for one version. When the
// folder holds neither of that version's UNet files but the other version's (an exported set
// holds one version only), the error says so and names the version the folder can serve.
void require_unet_file(const std::string& f, const ModelPaths& p) {
  if (fs::is_regular_file(f)) return;
  const fs::path unet_dir = fs::path(p.unet_config).parent_path();
  const std::string models_dir = unet_dir.parent_path().string();
  const UNetVersion wanted =
      unet_dir.filename() == "musetalkV15" ? UNetVersion::V15 : UNetVersion::V1;
  if (const auto other = only_other_unet_version(models_dir, wanted)) {
    throw Error(f,
                "model file not found: the models folder " + models_dir +
                    " holds the UNet of MuseTalk " + version_name(*other) + " only, not " +
                    version_name(wanted) + "'s",
                other_unet_version_fix(*other, wanted));
  }
  require_file(f);
}

void require_files(const ModelPaths& p) {
  require_unet_file(p.unet_config, p);
  require_unet_file(p.unet_weights, p);
  for (const std::string* f :
       {&p.vae_config, &p.vae_weights, &p.whisper_config, &p.whisper_weights}) {
    require_file(*f);
  }
}

template <typename Module>
void load_weights(Module& module, const std::string& path, const NameMapper& mapper = {}) {
  load_strict(*module, load_state_dict(path), path, mapper);
}

// One loader per network, in two steps: its config file required and parsed, then its weight
// file required, the network built from the config and the weights strict-loaded (on the CPU in
// float32). load_model_set and check_network_loads both load through these, so
// `models check --verify` cannot drift from what render does.
nn::UNetConfig unet_config(const ModelPaths& p) {
  require_unet_file(p.unet_config, p);
  return parse_config(p.unet_config, nn::UNetConfig::from_json);
}

nn::UNet2DConditionModel load_unet(const nn::UNetConfig& config, const ModelPaths& p) {
  require_unet_file(p.unet_weights, p);
  nn::UNet2DConditionModel unet(config);
  load_weights(unet, p.unet_weights);
  return unet;
}

nn::VaeConfig vae_config(const ModelPaths& p) {
  require_file(p.vae_config);
  return parse_config(p.vae_config, nn::VaeConfig::from_json);
}

// The models folder a ModelPaths::in layout sits in (<dir>/sd-vae/<weights>), for errors.
std::string vae_models_dir(const ModelPaths& p) {
  return fs::path(p.vae_weights).parent_path().parent_path().string();
}

// Whether a VAE weight file's names (file spelling) include the encoder half: any encoder.* or
// quant_conv.* tensor. A file with neither is a decoder-only export (models/README.md); one
// with part of the encoder half still fails the strict load, as any incomplete file does.
bool names_have_vae_encoder(const std::vector<std::string>& names) {
  const NameMapper map = nn::vae_name_mapper();
  for (const std::string& name : names) {
    const std::string n = map(name);
    if (n.rfind("encoder.", 0) == 0 || n.rfind("quant_conv.", 0) == 0) return true;
  }
  return false;
}

// The VAE with the encoder when the file holds it (the released file), the decoder half only
// when it does not; either way strict-loaded.
nn::AutoencoderKL load_vae(const nn::VaeConfig& config, const ModelPaths& p) {
  require_file(p.vae_weights);
  const StateDict weights = load_state_dict(p.vae_weights);
  std::vector<std::string> names;
  for (const auto& item : weights) names.push_back(item.key());
  nn::AutoencoderKL vae(config, names_have_vae_encoder(names), vae_models_dir(p));
  load_strict(*vae, weights, p.vae_weights, nn::vae_name_mapper());
  return vae;
}

nn::WhisperConfig whisper_config(const ModelPaths& p) {
  require_file(p.whisper_config);
  return parse_config(p.whisper_config, [&](const nlohmann::ordered_json& j) {
    return nn::WhisperConfig::from_json(j, p.whisper_config);
  });
}

nn::WhisperEncoder load_whisper(const nn::WhisperConfig& config, const ModelPaths& p) {
  require_file(p.whisper_weights);
  nn::WhisperEncoder whisper(config);
  load_weights(whisper, p.whisper_weights, nn::whisper_name_mapper());
  return whisper;
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

std::optional<UNetVersion> only_other_unet_version(const std::string& dir, UNetVersion version) {
  const auto files_present = [&](UNetVersion v) {
    const ModelPaths p = ModelPaths::in(dir, v);
    return int{fs::is_regular_file(p.unet_config)} + int{fs::is_regular_file(p.unet_weights)};
  };
  const UNetVersion other = version == UNetVersion::V15 ? UNetVersion::V1 : UNetVersion::V15;
  if (files_present(version) != 0 || files_present(other) != 2) return std::nullopt;
  return other;
}

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

ModelSet load_model_set(const ModelPaths& paths, torch::Device device, torch::ScalarType dtype,
                        const std::function<bool()>& keep_going) {
  const auto next = [&] {
    if (keep_going && !keep_going()) throw LoadStopped();
  };
  // Every file present and every config parsed before the first weight file is read, so a
  // missing or broken file fails in a second rather than after the others have loaded.
  require_files(paths);
  ModelSet set;
  set.device = device;
  set.dtype = dtype;
  set.unet_config = unet_config(paths);
  set.vae_config = vae_config(paths);
  set.whisper_config = whisper_config(paths);
  set.unet = load_unet(set.unet_config, paths);
  next();
  set.vae = load_vae(set.vae_config, paths);
  next();
  set.whisper = load_whisper(set.whisper_config, paths);
  next();
  make_ready(set);
  return set;
}

LoadedVae load_vae_alone(const ModelPaths& paths, torch::Device device, torch::ScalarType dtype) {
  LoadedVae out{vae_config(paths), nullptr};
  out.vae = load_vae(out.config, paths);
  out.vae->to(device, dtype);
  out.vae->eval();
  for (auto& p : out.vae->parameters()) p.set_requires_grad(false);
  return out;
}

bool vae_weights_have_encoder(const std::string& weights) {
  files::ReadOptions header_only;
  header_only.load_data = false;
  const files::Checkpoint ckpt = files::read_checkpoint(weights, header_only);
  std::vector<std::string> names;
  for (const auto& [name, t] : ckpt.tensors) names.push_back(name);
  return names_have_vae_encoder(names);
}

void require_vae_encoder(const ModelPaths& paths) {
  require_file(paths.vae_weights);
  if (!vae_weights_have_encoder(paths.vae_weights)) {
    throw nn::no_vae_encoder_error(vae_models_dir(paths));
  }
}

void check_network_loads(const ModelPaths& paths, Network network) {
  // load_model_set's loader for that one network; it goes out of scope before the next is built.
  torch::NoGradGuard no_grad;
  switch (network) {
    case Network::UNet:
      load_unet(unet_config(paths), paths);
      return;
    case Network::Vae:
      load_vae(vae_config(paths), paths);
      return;
    case Network::Whisper:
      load_whisper(whisper_config(paths), paths);
      return;
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
