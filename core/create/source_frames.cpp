#include "create/source_frames.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "avatar/native_avatar.h"
#include "files/error.h"

namespace musetalk::create {
namespace fs = std::filesystem;

ScratchFolder::ScratchFolder(const std::string& out) {
  const fs::path target = avatar::avatar_folder_path(out);
  path_ = (target.parent_path() / ("." + target.filename().string() + ".work")).string();
  std::error_code ec;
  fs::remove_all(path_, ec);
  if (!fs::create_directories(path_, ec) || ec) {
    throw Error(out, "cannot create the working folder " + path_ + ": " + ec.message(),
                "check that the parent folder exists and is writable");
  }
}

ScratchFolder::~ScratchFolder() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string ScratchFolder::file(const std::string& name) const {
  return (fs::path(path_) / name).string();
}

std::vector<SourceFrame> write_source_frames(const CreateOptions& options,
                                             const ScratchFolder& scratch, media::VideoInfo& info) {
  media::VideoReadOptions read;
  read.fps = options.fps;
  read.start_s = options.start_s;
  read.duration_s = options.duration_s;
  media::VideoReader reader(options.video, read);
  info = reader.info();
  const fs::path dir = scratch.file("source");
  fs::create_directories(dir);

  int64_t expected = -1;
  if (info.still_image) {
    expected = 1;
  } else if (options.duration_s > 0) {
    expected = static_cast<int64_t>(std::ceil(options.duration_s * options.fps));
  } else if (info.duration_s > 0) {
    expected = static_cast<int64_t>(std::ceil((info.duration_s - options.start_s) * options.fps));
  }
  if (options.progress) options.progress("decode", 0, expected);
  std::vector<SourceFrame> frames;
  media::Image bgr;
  double time_s = 0;
  while (reader.next(bgr, time_s)) {
    SourceFrame f;
    f.report.index = static_cast<int64_t>(frames.size());
    f.report.time_s = time_s;
    f.png = (dir / avatar::cycle_png_name(frames.size())).string();
    media::write_png_bgr(f.png, bgr.pixels.data(), bgr.width, bgr.height, bgr.width * 3);
    frames.push_back(std::move(f));
    const auto done = static_cast<int64_t>(frames.size());
    if (options.progress) options.progress("decode", done, std::max(expected, done));
  }
  if (options.progress) {
    const auto n = static_cast<int64_t>(frames.size());
    options.progress("decode", n, n);
  }
  return frames;
}

}  // namespace musetalk::create
