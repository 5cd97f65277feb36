#include "avatar/upstream_avatar.h"

#include <cmath>
#include <filesystem>
#include <system_error>

#include "avatar/avatar_checks.h"
#include "avatar/latents.h"
#include "files/checkpoint.h"
#include "files/error.h"
#include "files/file_source.h"
#include "files/json_file.h"
#include "files/pickle.h"

namespace musetalk::avatar {
namespace {

namespace fs = std::filesystem;

const char* kRecreate =
    "create the avatar again with MuseTalk's real-time script, or make a native one with "
    "musetalk avatar create --video VIDEO --out NEW_FOLDER";
const char* kLayout =
    "avator_info.json, coords.pkl, mask_coords.pkl, latents.pt, full_imgs/ and mask/ (upstream "
    "MuseTalk real-time layout)";

std::string in(const std::string& dir, const char* name) {
  return (fs::path(dir) / name).string();
}

// Python ints, numpy integer scalars (which the pickle reader gives as Int) and integral floats
// (the (0.0, 0.0, 0.0, 0.0) placeholder of frames without a face).
bool to_int(const files::Value& v, int& out) {
  if (v.is(files::ValueKind::Int) && v.integer >= INT32_MIN && v.integer <= INT32_MAX) {
    out = static_cast<int>(v.integer);
    return true;
  }
  if (v.is(files::ValueKind::Float) && std::floor(v.real) == v.real && std::fabs(v.real) < 1e9) {
    out = static_cast<int>(v.real);
    return true;
  }
  return false;
}

// A pickled list of 4-element tuples or lists.
std::vector<Box> read_boxes(const std::string& path) {
  files::PickleDocument doc = files::read_pickle_file(path);
  const files::Value& root = doc.root();
  if (!root.is(files::ValueKind::List)) {
    throw Error(path, "expected a list of boxes, found " + root.describe(), kRecreate);
  }
  std::vector<Box> boxes;
  for (size_t i = 0; i < root.items.size(); ++i) {
    const files::Value& b = *root.items[i];
    int c[4];
    const bool sequence = b.is(files::ValueKind::Tuple) || b.is(files::ValueKind::List);
    bool ok = sequence && b.items.size() == 4;
    for (size_t k = 0; ok && k < 4; ++k) ok = to_int(*b.items[k], c[k]);
    if (!ok) {
      throw Error(
          path,
          "frame " + std::to_string(i) + ": expected a box of 4 integers, found " + b.describe(),
          kRecreate);
    }
    boxes.push_back({c[0], c[1], c[2], c[3]});
  }
  return boxes;
}

// A torch.save list of (1, 8, 32, 32) tensors, stacked: one per face box.
files::TensorData read_latents(const std::string& path, const std::vector<Box>& face_boxes) {
  const size_t frames = face_boxes.size();
  files::Checkpoint ckpt = files::read_checkpoint(path);
  const files::Value* root = ckpt.root();
  if (!root || !root->is(files::ValueKind::List)) {
    throw Error(path,
                "expected a list of latent tensors, found " +
                    (root ? root->describe() : std::string("safetensors")),
                kRecreate);
  }
  if (ckpt.tensors.size() != frames || root->items.size() != frames) {
    const std::string note = placeholder_note(face_boxes, root->items.size());
    throw Error(path,
                "holds " + std::to_string(root->items.size()) + " latents but coords.pkl has " +
                    std::to_string(frames) + " face boxes (the counts must agree)" +
                    (note.empty() ? "" : ": " + note),
                note.empty() ? kRecreate : kPlaceholderFix);
  }
  std::vector<files::TensorData> per_frame;
  for (size_t i = 0; i < frames; ++i) {
    const files::TensorData& t = ckpt.tensors[i].second;
    if (t.sizes != std::vector<int64_t>{1, 8, 32, 32}) {
      throw Error(path,
                  "frame " + std::to_string(i) + ": latent has shape " +
                      files::shape_string(t.sizes) + ", expected [1, 8, 32, 32]",
                  kRecreate);
    }
    per_frame.push_back(t);
  }
  try {
    return stack_latents(per_frame);
  } catch (const files::FormatError& e) {
    throw Error(path, e.what(), kRecreate);
  }
}

void read_info(const std::string& path, Avatar& a) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return;
  try {
    const nlohmann::ordered_json info = files::parse_json(files::read_text_file(path));
    if (files::json_find(info, "version")) {
      a.model_version = files::json_get<std::string>(info, "version");
    }
    if (files::json_find(info, "video_path")) {
      a.source = files::json_get<std::string>(info, "video_path");
    }
    if (files::json_find(info, "bbox_shift")) {
      a.parameters["bbox_shift"] = files::json_get<int64_t>(info, "bbox_shift");
    }
  } catch (const files::FormatError& e) {
    throw Error(path, std::string("not a readable avatar info file: ") + e.what(), kRecreate);
  }
}

}  // namespace

bool is_upstream_avatar(const std::string& dir) {
  std::error_code ec;
  for (const char* name : {"latents.pt", "coords.pkl", "avator_info.json"}) {
    if (fs::is_regular_file(in(dir, name), ec)) return true;
  }
  return false;
}

Avatar read_upstream_avatar(const std::string& dir) {
  Avatar a;
  a.root = dir;
  a.layout = "upstream";
  a.sources = {in(dir, "coords.pkl"), in(dir, "mask_coords.pkl"), in(dir, "latents.pt"),
               in(dir, "full_imgs"), in(dir, "mask")};
  for (const std::string& file : {a.sources.face_boxes, a.sources.mask_boxes, a.sources.latents}) {
    require_file(file, kLayout);
  }
  const std::string info = in(dir, "avator_info.json");
  read_info(info, a);
  // Before v1.5 avator_info.json has no "version": such an avatar records none (model_version
  // stays ""), and render takes its default rather than a guess.
  if (!a.model_version.empty()) a.model_version_source = info;
  a.face_boxes = read_boxes(a.sources.face_boxes);
  a.mask_boxes = read_boxes(a.sources.mask_boxes);
  const size_t n = a.face_boxes.size();
  const std::string count_source = a.sources.face_boxes + " (face boxes)";
  a.frame_files = numbered_pngs(a.sources.frames_dir, n, "frame", count_source);
  a.mask_files = numbered_pngs(a.sources.masks_dir, n, "mask", count_source);
  a.latents = read_latents(a.sources.latents, a.face_boxes);
  check_avatar(a);
  return a;
}

}  // namespace musetalk::avatar
