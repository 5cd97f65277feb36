#include "avatar/native_avatar.h"

#include <filesystem>
#include <fstream>
#include <system_error>

#include "avatar/avatar_checks.h"
#include "files/checkpoint.h"
#include "files/error.h"
#include "files/file_source.h"
#include "files/json.h"
#include "files/safetensors_writer.h"

namespace musetalk::avatar {
namespace {

namespace fs = std::filesystem;

const char* kRecreate = "create the avatar again";
const char* kFormatName = "musetalk-avatar";

std::string in(const std::string& dir, const char* name) {
  return (fs::path(dir) / name).string();
}

files::Json box_json(const Box& b) {
  return files::Json::array({files::Json::integer(b.x1), files::Json::integer(b.y1),
                             files::Json::integer(b.x2), files::Json::integer(b.y2)});
}

files::Json boxes_json(const std::vector<Box>& boxes) {
  files::Json out = files::Json::array();
  for (const Box& b : boxes) out.push_back(box_json(b));
  return out;
}

int to_int(const files::Json& j) {
  const int64_t v = j.as_int();
  if (v < INT32_MIN || v > INT32_MAX) throw files::FormatError("number out of range");
  return static_cast<int>(v);
}

std::vector<Box> boxes_from(const files::Json& j, const char* key) {
  std::vector<Box> out;
  for (const files::Json& b : j.at(key).as_array()) {
    const auto& c = b.as_array();
    if (c.size() != 4) {
      throw files::FormatError(std::string(key) + "[" + std::to_string(out.size()) +
                               "] is not a box of 4 integers");
    }
    out.push_back({to_int(c[0]), to_int(c[1]), to_int(c[2]), to_int(c[3])});
  }
  return out;
}

files::Json avatar_json(const Avatar& a) {
  files::Json j = files::Json::object();
  j.set("format", files::Json::string(kFormatName));
  j.set("format_version", files::Json::integer(kNativeFormatVersion));
  j.set("model_version", files::Json::string(a.model_version));
  j.set("fps", files::Json::integer(a.fps));
  j.set("source", files::Json::string(a.source));
  j.set("frame_count", files::Json::integer(static_cast<int64_t>(a.frame_count())));
  j.set("frame_size", files::Json::object({{"width", files::Json::integer(a.frame_width)},
                                           {"height", files::Json::integer(a.frame_height)}}));
  j.set("face_boxes", boxes_json(a.face_boxes));
  j.set("mask_boxes", boxes_json(a.mask_boxes));
  j.set("parameters", a.parameters);
  return j;
}

// avatar.json's fields into a; returns frame_count.
size_t read_avatar_json(const std::string& path, Avatar& a) {
  try {
    const files::Json j = files::Json::parse(files::read_text_file(path));
    if (j.at("format").as_string() != kFormatName) {
      throw files::FormatError("\"format\" is not \"" + std::string(kFormatName) + "\"");
    }
    a.format_version = to_int(j.at("format_version"));
    if (a.format_version < 1 || a.format_version > kNativeFormatVersion) {
      throw Error(path,
                  "format_version " + std::to_string(a.format_version) +
                      " is not one this program reads (1.." + std::to_string(kNativeFormatVersion) +
                      ")",
                  "update musetalk, or create the avatar again with this version");
    }
    a.model_version = j.at("model_version").as_string();
    a.fps = to_int(j.at("fps"));
    a.source = j.at("source").as_string();
    a.frame_width = to_int(j.at("frame_size").at("width"));
    a.frame_height = to_int(j.at("frame_size").at("height"));
    a.face_boxes = boxes_from(j, "face_boxes");
    a.mask_boxes = boxes_from(j, "mask_boxes");
    if (const files::Json* p = j.find("parameters")) {
      if (!p->is_object()) throw files::FormatError("\"parameters\" is not an object");
      a.parameters = *p;
    }
    const int64_t count = j.at("frame_count").as_int();
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
  std::ofstream out(json_path, std::ios::trunc);
  out << avatar_json(a).dump(1) << "\n";
  if (!out.flush()) throw Error(json_path, "write failed", "check free disk space");
}

}  // namespace

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

void write_native_avatar(const Avatar& avatar, const std::string& out) {
  std::error_code ec;
  if (fs::exists(out, ec)) {
    throw Error(out, "already exists", "choose a new folder, or remove this one first");
  }
  const fs::path target = fs::absolute(out);
  const fs::path tmp = target.parent_path() / ("." + target.filename().string() + ".partial");
  try {
    fs::remove_all(tmp);
    write_all(avatar, tmp);
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
