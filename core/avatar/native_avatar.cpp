#include "avatar/native_avatar.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "avatar/avatar_checks.h"
#include "files/checkpoint.h"
#include "files/error.h"
#include "files/file_source.h"
#include "files/json_file.h"
#include "files/safetensors_writer.h"

namespace musetalk::avatar {
namespace {

namespace fs = std::filesystem;

const char* kRecreate = kRecreateFix;
const char* kFormatName = "musetalk-avatar";

std::string in(const std::string& dir, const char* name) {
  return (fs::path(dir) / name).string();
}

using nlohmann::ordered_json;

ordered_json boxes_json(const std::vector<Box>& boxes) {
  ordered_json out = ordered_json::array();
  for (const Box& b : boxes) out.push_back(ordered_json::array({b.x1, b.y1, b.x2, b.y2}));
  return out;
}

std::vector<Box> boxes_from(const ordered_json& j, const char* key) {
  std::vector<Box> out;
  for (const ordered_json& b : files::json_array(files::json_at(j, key))) {
    if (!b.is_array() || b.size() != 4) {
      throw files::FormatError(std::string(key) + "[" + std::to_string(out.size()) +
                               "] is not a box of 4 integers");
    }
    try {
      out.push_back({files::json_as<int>(b[0]), files::json_as<int>(b[1]),
                     files::json_as<int>(b[2]), files::json_as<int>(b[3])});
    } catch (const files::FormatError& e) {
      throw files::FormatError(std::string(key) + "[" + std::to_string(out.size()) +
                               "]: " + e.what());
    }
  }
  return out;
}

ordered_json avatar_json(const Avatar& a) {
  ordered_json j = ordered_json::object();
  j["format"] = kFormatName;
  j["format_version"] = kNativeFormatVersion;
  // Absent when the avatar records none, so that its copy records none either.
  if (!a.model_version.empty()) j["model_version"] = a.model_version;
  j["fps"] = a.fps;
  j["source"] = a.source;
  j["frame_count"] = a.frame_count();
  j["frame_size"] = {{"width", a.frame_width}, {"height", a.frame_height}};
  j["face_boxes"] = boxes_json(a.face_boxes);
  j["mask_boxes"] = boxes_json(a.mask_boxes);
  j["parameters"] = a.parameters;
  return j;
}

// avatar.json's fields into a; returns frame_count.
size_t read_avatar_json(const std::string& path, Avatar& a) {
  try {
    const ordered_json j = files::parse_json(files::read_text_file(path));
    if (files::json_get<std::string>(j, "format") != kFormatName) {
      throw files::FormatError("\"format\" is not \"" + std::string(kFormatName) + "\"");
    }
    a.format_version = files::json_get<int>(j, "format_version");
    if (a.format_version < 1 || a.format_version > kNativeFormatVersion) {
      throw Error(
          path,
          "format_version " + std::to_string(a.format_version) +
              " is not one this program reads (1.." + std::to_string(kNativeFormatVersion) + ")",
          "update musetalk, or create the avatar again with this version (musetalk avatar create)");
    }
    if (files::json_find(j, "model_version")) {
      a.model_version = files::json_get<std::string>(j, "model_version");
      a.model_version_source = path;
    }
    a.fps = files::json_get<int>(j, "fps");
    a.source = files::json_get<std::string>(j, "source");
    const ordered_json& frame_size = files::json_at(j, "frame_size");
    a.frame_width = files::json_get<int>(frame_size, "width");
    a.frame_height = files::json_get<int>(frame_size, "height");
    a.face_boxes = boxes_from(j, "face_boxes");
    a.mask_boxes = boxes_from(j, "mask_boxes");
    if (const ordered_json* p = files::json_find(j, "parameters")) {
      if (!p->is_object()) throw files::FormatError("\"parameters\" is not an object");
      a.parameters = *p;
    }
    const int64_t count = files::json_get<int64_t>(j, "frame_count");
    if (count < 0 || static_cast<size_t>(count) != a.face_boxes.size()) {
      throw Error(path,
                  "frame_count is " + std::to_string(count) + " but face_boxes has " +
                      std::to_string(a.face_boxes.size()) + " (the counts must agree)",
                  kRecreate);
    }
    return static_cast<size_t>(count);
  } catch (const files::FormatError& e) {
    throw Error(path, std::string("not a readable avatar.json: ") + e.what(), kRecreate);
  }
}

files::TensorData read_latents(const std::string& path) {
  files::Checkpoint ckpt = files::read_checkpoint(path);
  const files::TensorData* t = ckpt.find("latents");
  if (ckpt.container != files::Container::Safetensors || !t) {
    throw Error(path, "expected a safetensors file with a tensor named \"latents\"", kRecreate);
  }
  return *t;
}

void copy_pngs(const std::vector<std::string>& from, const fs::path& dir) {
  fs::create_directory(dir);
  for (size_t i = 0; i < from.size(); ++i) {
    fs::copy_file(from[i], dir / fs::path(from[i]).filename());
  }
}

void write_all(const Avatar& a, const fs::path& dir) {
  fs::create_directory(dir);
  copy_pngs(a.frame_files, dir / "frames");
  copy_pngs(a.mask_files, dir / "masks");
  if (a.has_latents()) {
    files::write_safetensors((dir / "latents.safetensors").string(), {{"latents", a.latents}});
  }
  const std::string json_path = (dir / "avatar.json").string();
  std::string text;
  try {
    text = files::json_dump(avatar_json(a), 1);
  } catch (const files::FormatError& e) {
    throw Error(json_path, e.what(), "give the avatar a source path in UTF-8");
  }
  std::ofstream out(json_path, std::ios::trunc);
  out << text << "\n";
  if (!out.flush()) throw Error(json_path, "write failed", "check free disk space");
}

}  // namespace

fs::path avatar_folder_path(const std::string& out) {
  if (out.empty()) {
    throw Error("the avatar folder", "is empty", "give the path of a new folder for the avatar");
  }
  fs::path p = fs::absolute(out).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();
  return p;
}

std::string cycle_png_name(size_t i) {
  char name[32];
  std::snprintf(name, sizeof name, "%08zu.png", i);
  return name;
}

bool is_native_avatar(const std::string& dir) {
  std::error_code ec;
  return fs::is_regular_file(in(dir, "avatar.json"), ec);
}

Avatar read_native_avatar(const std::string& dir) {
  Avatar a;
  a.root = dir;
  a.layout = "native";
  const std::string json = in(dir, "avatar.json");
  a.sources = {json, json, "", in(dir, "frames"), in(dir, "masks")};
  const size_t n = read_avatar_json(json, a);
  a.frame_files = numbered_pngs(a.sources.frames_dir, n, "frame", json);
  a.mask_files = numbered_pngs(a.sources.masks_dir, n, "mask", json);
  // latents.safetensors is optional: without it render makes the latents with the VAE.
  const std::string latents = in(dir, "latents.safetensors");
  std::error_code ec;
  if (fs::exists(latents, ec)) {
    a.sources.latents = latents;
    a.latents = read_latents(latents);
  }
  check_avatar(a);
  return a;
}

void write_native_avatar(const Avatar& avatar, const std::string& out,
                         const std::vector<std::string>& extra_files) {
  std::error_code ec;
  if (fs::exists(out, ec)) {
    throw Error(out, "already exists", "choose a new folder, or remove this one first");
  }
  const fs::path target = avatar_folder_path(out);
  const fs::path tmp = target.parent_path() / ("." + target.filename().string() + ".partial");
  try {
    fs::remove_all(tmp);
    write_all(avatar, tmp);
    for (const std::string& f : extra_files) fs::copy_file(f, tmp / fs::path(f).filename());
    read_native_avatar(tmp.string());  // what was written must read back and pass the checks
    fs::rename(tmp, target);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(tmp, ec);
    throw Error(out, std::string("cannot be written: ") + e.what(),
                "check that the parent folder exists and is writable");
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

}  // namespace musetalk::avatar
