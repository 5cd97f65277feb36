#pragma once
// The networks one render or stream needs, loaded from a models folder laid out as in
// models/README.md: the UNet (v1.5 or v1), the VAE and the Whisper-tiny encoder, on one device
// in one dtype.

#include <exception>
#include <functional>
#include <optional>
#include <string>

#include "nn/unet.h"
#include "nn/vae.h"
#include "nn/whisper_encoder.h"

namespace musetalk {

enum class UNetVersion { V15, V1 };

// "v15" / "v1.5" / "v1"; throws Error naming the option otherwise.
UNetVersion parse_unet_version(const std::string& text);

// The other version when the models folder dir holds neither of version's UNet files (config,
// weights) but both of the other's, as a set exported by `musetalk models export` holds one
// version only; nullopt otherwise (a folder with part of version's UNet lacks a file, not the
// version). For errors about a missing UNet file.
std::optional<UNetVersion> only_other_unet_version(const std::string& dir, UNetVersion version);

struct ModelPaths {
  std::string unet_config, unet_weights;
  std::string vae_config, vae_weights;
  std::string whisper_config, whisper_weights;

  // The files under DIR; where a .bin and a .safetensors alternative exist, the one present (a
  // set written by `musetalk models export` has the .safetensors names).
  static ModelPaths in(const std::string& dir, UNetVersion version);
};

struct ModelSet {
  nn::UNetConfig unet_config;
  nn::VaeConfig vae_config;
  nn::WhisperConfig whisper_config;
  nn::UNet2DConditionModel unet{nullptr};
  nn::AutoencoderKL vae{nullptr};
  nn::WhisperEncoder whisper{nullptr};
  torch::Device device = torch::kCPU;
  torch::ScalarType dtype = torch::kFloat32;
};

// Reads configs and weights (strict name match), moves everything to the device and dtype and
// precomputes the UNet's t = 0 constants. Throws Error naming the file for anything missing or
// mismatched. Weight files in another float dtype (an exported fp16 or bf16 set) are converted
// as they are copied in. A VAE file without encoder tensors (a set exported for render or stream)
// gives a VAE without its encoder, whose encode() throws nn::no_vae_encoder_error.
// keep_going, when given, is asked after each network has loaded (UNet, VAE, Whisper: seconds
// each with the released files); false stops the load there, freeing what loaded, with
// LoadStopped. A host that must be able to quit (the OBS source's destroy) waits for one network
// at most, not for the set.
ModelSet load_model_set(const ModelPaths& paths, torch::Device device, torch::ScalarType dtype,
                        const std::function<bool()>& keep_going = {});

// Thrown by load_model_set when its keep_going said false.
struct LoadStopped : std::exception {
  const char* what() const noexcept override { return "the model load was stopped"; }
};

// The VAE alone (avatar creation encodes with it and needs nothing else of the set), loaded as
// load_model_set loads it, on the device in the dtype, eval mode, no gradients. Throws Error
// naming the file for anything missing or mismatched.
struct LoadedVae {
  nn::VaeConfig config;
  nn::AutoencoderKL vae{nullptr};
};
LoadedVae load_vae_alone(const ModelPaths& paths, torch::Device device, torch::ScalarType dtype);

// Whether a VAE weight file holds the encoder half (encoder.*, quant_conv.*), from its header
// alone: false for a set exported for render or stream. Throws Error naming the file when it
// does not open.
bool vae_weights_have_encoder(const std::string& weights);

// Throws nn::no_vae_encoder_error naming the models folder unless the VAE weights hold the
// encoder (avatar creation checks this before any network loads), or Error when the file is
// missing or does not open.
void require_vae_encoder(const ModelPaths& paths);

enum class Network { UNet, Vae, Whisper };

// Whether one network of the set loads as load_model_set loads it (through the same per-network
// loader): its files present, its config parsed, the network built and its weights strict-loaded
// (every name and shape), on the CPU in float32, then released. Memory peaks at that one network
// and its weight file, not the set. Throws the Error load_model_set throws for that network.
void check_network_loads(const ModelPaths& paths, Network network);

// The released configurations (the config structs' defaults: musetalk.json v1.5, sd-vae-ft-mse,
// whisper-tiny) with synthetic weights (synthetic_weights.h): real sizes and speed without the
// files, for benchmarks.
ModelSet synthetic_model_set(torch::Device device, torch::ScalarType dtype);

}  // namespace musetalk
