#pragma once
// The manifest of a model set written by `musetalk models export` (models/README.md):
// musetalk-models.json at the set's root names what the set is for, its precision and UNet
// version, and each file it holds with its size and SHA-256 and the released file it was made
// from (that file's name, size and SHA-256). `models check` recognises an exported set by it and
// checks the files against it; loading never reads it (the loaders tell the files apart by
// content).

#include <cstdint>
#include <string>
#include <vector>

namespace musetalk::model_export {

inline constexpr const char* kManifestFile = "musetalk-models.json";
inline constexpr const char* kManifestFormat = "musetalk-models";
inline constexpr int kManifestVersion = 1;

// A file by its path relative to a models folder, with its size in bytes and SHA-256 (64
// lowercase hex characters).
struct FileRecord {
  std::string path;
  uint64_t bytes = 0;
  std::string sha256;
};

struct ManifestFile {
  FileRecord file;         // in the exported set
  std::string network;     // "UNet v1.5", "VAE", "Whisper", "S3FD", "DWPose", "BiSeNet"
  bool is_config = false;  // a config copied as it was, else a weight file
  int64_t tensors = 0;     // weight files: how many tensors it holds
  std::string dtype;       // weight files: the float dtype of its tensors ("float16", ...)
  FileRecord source;       // the file it was made from, in the folder exported from
};

struct ModelSetManifest {
  std::string job;        // "render", "stream" or "create"
  std::string precision;  // "fp16", "bf16" or "fp32"
  std::string version;    // "v15" or "v1" (the UNet's)
  std::vector<ManifestFile> files;
};

// <dir>/musetalk-models.json.
std::string manifest_path(const std::string& dir);

// Whether dir holds a manifest (an exported set), whatever its content.
bool has_manifest(const std::string& dir);

// Reads <dir>/musetalk-models.json. Throws Error naming the file when it is not valid JSON, is
// another format or a newer version of this one, or a field is missing, of another type or out
// of its values (a path that is absolute or leaves the folder included).
ModelSetManifest read_manifest(const std::string& dir);

// Writes <dir>/musetalk-models.json atomically (files/atomic_file.h), indented.
void write_manifest(const std::string& dir, const ModelSetManifest& manifest);

}  // namespace musetalk::model_export
