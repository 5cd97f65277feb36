#include "avatar/avatar_checks.h"

#include <cstdio>
#include <filesystem>
#include <system_error>

#include "avatar/latents.h"
#include "avatar/native_avatar.h"
#include "avatar/png_info.h"
#include "files/error.h"

namespace musetalk::avatar {
namespace {

namespace fs = std::filesystem;

const char* kRecreate = kRecreateFix;

// True for names like 00000012.png.
bool is_numbered_png(const std::string& name, size_t& index) {
  if (name.size() != 12 || name.compare(8, 4, ".png") != 0) return false;
  index = 0;
  for (size_t k = 0; k < 8; ++k) {
    if (name[k] < '0' || name[k] > '9') return false;
    index = index * 10 + static_cast<size_t>(name[k] - '0');
  }
  return true;
}

std::string size_text(int w, int h) {
  return std::to_string(w) + "x" + std::to_string(h);
}

std::string box_text(const Box& b) {
  return "(" + std::to_string(b.x1) + ", " + std::to_string(b.y1) + ", " + std::to_string(b.x2) +
         ", " + std::to_string(b.y2) + ")";
}

void check_count(size_t got, size_t want, const std::string& file, const std::string& what,
                 const std::string& reference) {
  if (got != want) {
    throw Error(file,
                "holds " + std::to_string(got) + " " + what + " but " + reference + " has " +
                    std::to_string(want) + " (the counts must agree)",
                kRecreate);
  }
}

void check_frames(Avatar& a) {
  for (size_t i = 0; i < a.frame_files.size(); ++i) {
    const PngInfo png = read_png_info(a.frame_files[i]);
    if (a.frame_width == 0 && a.frame_height == 0) {
      a.frame_width = png.width;
      a.frame_height = png.height;
    } else if (png.width != a.frame_width || png.height != a.frame_height) {
      throw Error(a.frame_files[i],
                  "frame " + std::to_string(i) + " is " + size_text(png.width, png.height) +
                      " but the avatar's frames are " + size_text(a.frame_width, a.frame_height),
                  kRecreate);
    }
  }
}

void check_face_boxes(const Avatar& a) {
  for (size_t i = 0; i < a.face_boxes.size(); ++i) {
    const Box& b = a.face_boxes[i];
    const std::string frame = "frame " + std::to_string(i);
    if (b.empty()) {
      throw Error(a.sources.face_boxes, frame + " has no face box",
                  "the face was not found in that frame: create the avatar again with musetalk "
                  "avatar create, which leaves such frames out of the cycle");
    }
    // Upstream resizes the generated face to the box (MuseTalk scripts/realtime_inference.py
    // Avatar.process_frames), which an empty box cannot take; (0, 0, 0, 0) above is its "no face"
    // placeholder instead.
    if (b.width() <= 0 || b.height() <= 0) {
      const std::string sides = b.width() <= 0 && b.height() <= 0
                                    ? "zero width and height: x2 <= x1 and y2 <= y1"
                                : b.width() <= 0 ? "zero width: x2 <= x1"
                                                 : "zero height: y2 <= y1";
      throw Error(a.sources.face_boxes,
                  frame + " face box " + box_text(b) + " is empty (" + sides +
                      "), so no face can be pasted into it",
                  kRecreate);
    }
    if (b.x1 < 0 || b.y1 < 0 || b.x2 > a.frame_width || b.y2 > a.frame_height) {
      throw Error(a.sources.face_boxes,
                  frame + " face box " + box_text(b) + " does not lie inside the " +
                      size_text(a.frame_width, a.frame_height) + " frame",
                  kRecreate);
    }
  }
}

void check_masks(const Avatar& a) {
  for (size_t i = 0; i < a.mask_files.size(); ++i) {
    const Box& b = a.mask_boxes[i];
    const std::string frame = "frame " + std::to_string(i);
    if (b.width() <= 0 || b.height() <= 0) {
      throw Error(a.sources.mask_boxes, frame + " mask crop box " + box_text(b) + " is empty",
                  kRecreate);
    }
    const PngInfo png = read_png_info(a.mask_files[i]);
    if (png.width != b.width() || png.height != b.height()) {
      throw Error(a.mask_files[i],
                  frame + " mask is " + size_text(png.width, png.height) + " but its crop box " +
                      box_text(b) + " is " + size_text(b.width(), b.height()),
                  kRecreate);
    }
  }
}

}  // namespace

const char* const kPlaceholderFix =
    "some frames of the avatar's video have no face that could be found: create the avatar "
    "again with musetalk avatar create, which leaves such frames out of the cycle";

std::string placeholder_note(const std::vector<Box>& face_boxes, size_t latents) {
  std::vector<size_t> frames;
  for (size_t i = 0; i < face_boxes.size(); ++i) {
    if (face_boxes[i].empty()) frames.push_back(i);
  }
  if (frames.empty()) return "";
  std::string list;
  for (size_t k = 0; k < frames.size() && k < 8; ++k) {
    list += (k ? ", " : "") + std::to_string(frames[k]);
  }
  if (frames.size() > 8) list += ", ...";
  std::string note = std::to_string(frames.size()) + " of the " +
                     std::to_string(face_boxes.size()) + " frames (" + list +
                     ") have the (0, 0, 0, 0) placeholder box of a frame where no face was found";
  if (face_boxes.size() - frames.size() == latents) {
    note += ", for which upstream MuseTalk makes no latent: that is why there are " +
            std::to_string(latents) + " latents, not " + std::to_string(face_boxes.size());
  }
  return note;
}

void require_file(const std::string& path, const std::string& layout) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw Error(path, "file not found (the avatar folder should hold " + layout + ")", kRecreate);
  }
}

std::vector<std::string> numbered_pngs(const std::string& dir, size_t count,
                                       const std::string& what, const std::string& count_source) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error(dir, "folder not found (it holds the " + what + " PNGs)", kRecreate);
  }
  std::vector<std::string> paths;
  for (size_t i = 0; i < count; ++i) {
    paths.push_back((fs::path(dir) / cycle_png_name(i)).string());
    if (!fs::is_regular_file(paths.back(), ec)) {
      throw Error(paths.back(), what + " " + std::to_string(i) + " is missing", kRecreate);
    }
  }
  size_t found = 0, index = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    if (is_numbered_png(e.path().filename().string(), index)) ++found;
  }
  check_count(found, count, dir, what + " PNGs", count_source);
  return paths;
}

void check_avatar(Avatar& a) {
  const size_t n = a.face_boxes.size();
  const std::string reference = a.sources.face_boxes + " (face boxes)";
  check_count(a.mask_boxes.size(), n, a.sources.mask_boxes, "mask boxes", reference);
  check_count(a.frame_files.size(), n, a.sources.frames_dir, "frames", reference);
  check_count(a.mask_files.size(), n, a.sources.masks_dir, "masks", reference);
  if (a.has_latents()) {
    const size_t rows = a.latents.sizes.empty() ? 0 : static_cast<size_t>(a.latents.sizes[0]);
    const std::string note = rows == n ? "" : placeholder_note(a.face_boxes, rows);
    if (!note.empty()) {
      throw Error(a.sources.latents,
                  "holds " + std::to_string(rows) + " latents but " + reference + " has " +
                      std::to_string(n) + ": " + note,
                  kPlaceholderFix);
    }
    check_latents(a.latents, n, a.sources.latents);
  }
  if (n == 0) throw Error(a.sources.face_boxes, "the avatar has no frames", kRecreate);
  check_frames(a);
  check_face_boxes(a);
  check_masks(a);
}

}  // namespace musetalk::avatar
