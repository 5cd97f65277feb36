#pragma once
// The weight files the pipeline reads, where they go under the models folder (the layout of
// MuseTalk download_weights.sh; models/README.md) and where users download them from.

#include <initializer_list>
#include <string>
#include <vector>

namespace musetalk::files {

struct ModelFile {
  std::string path;       // relative to the models folder
  std::string purpose;    // what needs it
  std::string repo;       // Hugging Face repository
  std::string repo_path;  // path inside the repository
  bool required;          // false: only for an optional mode (--version v1)
  bool is_json;           // a config file rather than weights
  bool render;            // needed by `musetalk render` (UNet v1.5, VAE, Whisper)
  bool create;            // needed by `avatar create` (VAE, DWPose, BiSeNet, S3FD)
};

const std::vector<ModelFile>& model_files();

// The files one job needs: "render", "create" or "all". Throws Error with input "job <name>"
// otherwise (a tool names its own option).
std::vector<ModelFile> model_files_for(const std::string& job);

// dir/name for the first of names present in dir, else dir/names[0] (so an error names the
// released file): a released weight file or its safetensors alternative (the names a set
// written by `musetalk models export` uses; models/README.md).
std::string first_present(const std::string& dir, std::initializer_list<const char*> names);

// How to get the files one job needs (model_files_for(job)), as models/README.md says it.
std::string download_hint(const std::string& models_dir, const std::string& job = "all");

}  // namespace musetalk::files
