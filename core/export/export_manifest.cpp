#include "export/export_manifest.h"

#include <filesystem>

#include "files/atomic_file.h"
#include "files/error.h"
#include "files/json_file.h"

namespace musetalk::model_export {
namespace {

namespace fs = std::filesystem;
using files::json_get;
using nlohmann::ordered_json;

constexpr const char* kFix =
    "export the set again with `musetalk models export` (models/README.md)";

// A path inside the folder: relative, without "..".
std::string relative_path(const ordered_json& object, const std::string& key) {
  const std::string path = json_get<std::string>(object, key);
  const fs::path p(path);
  bool leaves = p.empty() || p.is_absolute();
  for (const fs::path& part : p) leaves |= part == "..";
  if (leaves) {
    throw files::FormatError("\"" + key + "\": " + path + " is not a path inside the folder");
  }
  return path;
}

std::string one_of(const ordered_json& object, const std::string& key,
                   std::initializer_list<const char*> values) {
  const std::string value = json_get<std::string>(object, key);
  std::string known;
  for (const char* v : values) {
    if (value == v) return value;
    known += std::string(known.empty() ? "" : ", ") + v;
  }
  throw files::FormatError("\"" + key + "\": " + value + " is not one of " + known);
}

FileRecord file_record(const ordered_json& object) {
  FileRecord r;
  r.path = relative_path(object, "path");
  const int64_t bytes = json_get<int64_t>(object, "bytes");
  if (bytes < 0) throw files::FormatError("\"bytes\": must be 0 or more");
  r.bytes = static_cast<uint64_t>(bytes);
  r.sha256 = json_get<std::string>(object, "sha256");
  if (r.sha256.size() != 64 ||
      r.sha256.find_first_not_of("0123456789abcdef") != std::string::npos) {
    throw files::FormatError("\"sha256\": " + r.sha256 + " is not 64 lowercase hex digits");
  }
  return r;
}

ordered_json record_json(const FileRecord& r) {
  return {{"path", r.path}, {"bytes", r.bytes}, {"sha256", r.sha256}};
}

}  // namespace

std::string manifest_path(const std::string& dir) {
  return (fs::path(dir) / kManifestFile).string();
}

bool has_manifest(const std::string& dir) {
  std::error_code ec;
  return fs::is_regular_file(manifest_path(dir), ec);
}

ModelSetManifest read_manifest(const std::string& dir) {
  const std::string path = manifest_path(dir);
  const ordered_json json = files::read_json_file(path, kFix);
  try {
    if (json_get<std::string>(json, "format") != kManifestFormat) {
      throw files::FormatError(std::string("\"format\": not ") + kManifestFormat);
    }
    const int64_t version = json_get<int64_t>(json, "format_version");
    if (version > kManifestVersion) {
      throw Error(
          path, "was written by a newer musetalk (format version " + std::to_string(version) + ")",
          "update musetalk, or export the set again with this one");
    }
    ModelSetManifest m;
    m.job = one_of(json, "for", {"render", "stream", "create"});
    m.precision = one_of(json, "precision", {"fp16", "bf16", "fp32"});
    m.version = one_of(json, "version", {"v15", "v1"});
    for (const ordered_json& f : files::json_array(files::json_at(json, "files"))) {
      ManifestFile file;
      file.file = file_record(f);
      file.network = json_get<std::string>(f, "network");
      file.is_config = one_of(f, "kind", {"config", "weights"}) == "config";
      if (!file.is_config) {
        file.tensors = json_get<int64_t>(f, "tensors");
        file.dtype = json_get<std::string>(f, "dtype");
      }
      file.source = file_record(files::json_at(f, "source"));
      m.files.push_back(std::move(file));
    }
    return m;
  } catch (const files::FormatError& e) {
    throw Error(path, std::string("is not a model set manifest: ") + e.what(), kFix);
  }
}

void write_manifest(const std::string& dir, const ModelSetManifest& m) {
  ordered_json files = ordered_json::array();
  for (const ManifestFile& f : m.files) {
    ordered_json entry = record_json(f.file);
    entry["network"] = f.network;
    entry["kind"] = f.is_config ? "config" : "weights";
    if (!f.is_config) {
      entry["tensors"] = f.tensors;
      entry["dtype"] = f.dtype;
    }
    entry["source"] = record_json(f.source);
    files.push_back(std::move(entry));
  }
  const ordered_json json = {{"format", kManifestFormat},
                             {"format_version", kManifestVersion},
                             {"for", m.job},
                             {"precision", m.precision},
                             {"version", m.version},
                             {"files", files}};
  const std::string text = files::json_dump(json, 2) + "\n";
  files::write_file_atomically(manifest_path(dir), [&](std::ostream& out) { out << text; });
}

}  // namespace musetalk::model_export
