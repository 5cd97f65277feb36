#pragma once
// `musetalk models export`: a lean model set written from the released files (models/README.md),
// holding exactly the tensors one command loads, its float tensors cast to one precision, as
// safetensors under the released folder names with the safetensors file names ModelPaths::in and
// create::CreateModelPaths::in accept, the configs copied as they are, and a manifest
// (export/export_manifest.h). Every command loads such a set with its usual loaders, which tell
// the containers (and a VAE without its encoder) apart by content.

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "export/export_manifest.h"
#include "model/model_set.h"

namespace musetalk::model_export {

struct ExportOptions {
  std::string models_dir = "models";  // the folder exported from: the released files
  std::string out;                    // the new set: a folder that does not exist, or is empty
  // --for: "render" or "stream" (the UNet, the VAE's decoder half, Whisper's encoder) or
  // "create" (what avatar create loads: the whole VAE, S3FD, DWPose, BiSeNet).
  std::string job;
  // --precision: "fp16", "bf16" or "fp32" for the UNet, VAE and Whisper tensors; "" for the
  // job's default (fp16 for render and stream, fp32 for create). S3FD, DWPose and BiSeNet are
  // always written in float32, the precision avatar create runs them in.
  std::string precision;
  std::string version = "v15";  // --version: the UNet's, "v15" or "v1"
};

// One network of the set: its config (none for S3FD, DWPose and BiSeNet) and its weight file,
// from the folder exported from to the new set (paths relative to each).
struct NetworkExport {
  std::string network;  // "UNet v1.5", "UNet v1", "VAE", "Whisper", "S3FD", "DWPose", "BiSeNet"
  std::string config_source, config_target;  // "" when the network has none
  std::string weights_source, weights_target;
  std::string kept;         // what of the weight file is kept, for people ("decoder only", "")
  torch::ScalarType dtype;  // its float tensors are written in this dtype
};

struct ExportPlan {
  ExportOptions options;
  std::string job, precision, version;  // the checked names, the default precision filled in
  UNetVersion unet_version = UNetVersion::V15;
  torch::ScalarType dtype = torch::kFloat16;
  std::vector<NetworkExport> networks;
};

// Everything checked that needs no weights read, so a mistake fails in a moment: --for,
// --precision and --version (an unknown value refused by the option's name), --out (refused by
// name unless it is new or an empty folder whose parent exists), every file the export reads
// present under models_dir (the missing ones listed with the download command), and for create
// that the VAE file holds the encoder. Throws Error.
ExportPlan plan_export(const ExportOptions& options);

// Writes the set into a staging folder beside out ("<parent>/.<name>.partial"): per network the
// config copied and the weight file read, its tensors selected and cast and written as
// safetensors, then the network loaded back from the new files with the command's own loader
// (strict, on the CPU in float32); the manifest last; then the staging folder renamed to out. A
// failure removes the staging folder and leaves out as it was. log(line) reports each file
// written and each network checked. Returns the manifest written.
ModelSetManifest export_model_set(const ExportPlan& plan,
                                  const std::function<void(const std::string&)>& log = {});

}  // namespace musetalk::model_export
