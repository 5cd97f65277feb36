#pragma once
// A small but complete models folder for tests, in the released formats (torch.save zip files,
// the VAE's old attention names, Whisper's "model.encoder." prefix): the fixtures' tiny UNet and
// VAE configs and whisper-tiny, with synthetic weights.

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "model/model_set.h"

namespace musetalk::test {

// The "config" of a fixture manifest ("unet_tiny", "vae_tiny", "whisper_tiny").
nlohmann::ordered_json manifest_config(const std::string& stem);

void write_text(const std::filesystem::path& path, const std::string& text);

void write_tiny_model_set(const std::filesystem::path& dir);

// The three networks avatar creation adds (S3FD, DWPose, BiSeNet) at their real, fixed sizes with
// synthetic weights, under their released file names (DWPose as an mmengine checkpoint, its
// tensors under "state_dict."). About 280 MB. Their outputs are meaningless: creation with them
// either finds boxes or reports that no face was found.
void write_avatar_creation_models(const std::filesystem::path& dir);

// The tiny model set loaded on the CPU in fp32, written and loaded once per test program.
ModelSet& shared_tiny_models();

}  // namespace musetalk::test
