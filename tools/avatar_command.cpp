// `musetalk avatar info PATH`: what an avatar folder (native or upstream layout) holds.
// `musetalk avatar import UPSTREAM OUT`: an upstream real-time avatar as a native cache.
// (`musetalk avatar create` is avatar_create_command.cpp.)
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "avatar/avatar.h"
#include "avatar/native_avatar.h"
#include "commands.h"

namespace musetalk::tools {
namespace {

struct AvatarOptions {
  std::string path;
  std::string out;
};

// "x 110..230, y 131..265, size 116x134..116x134": the extent of all boxes and their sizes.
std::string box_ranges(const std::vector<avatar::Box>& boxes) {
  if (boxes.empty()) return "none";
  const avatar::Box& first = boxes.front();
  int x1 = first.x1, y1 = first.y1, x2 = first.x2, y2 = first.y2;
  int wmin = first.width(), wmax = wmin, hmin = first.height(), hmax = hmin;
  for (const avatar::Box& b : boxes) {
    x1 = std::min(x1, b.x1);
    y1 = std::min(y1, b.y1);
    x2 = std::max(x2, b.x2);
    y2 = std::max(y2, b.y2);
    wmin = std::min(wmin, b.width());
    wmax = std::max(wmax, b.width());
    hmin = std::min(hmin, b.height());
    hmax = std::max(hmax, b.height());
  }
  char text[160];
  std::snprintf(text, sizeof text, "x %d..%d, y %d..%d, size %dx%d..%dx%d", x1, x2, y1, y2, wmin,
                hmin, wmax, hmax);
  return text;
}

int info(const AvatarOptions& opt) {
  const avatar::Avatar a = avatar::load_avatar(opt.path);
  std::cout << "Avatar: " << a.root << "\n";
  std::cout << "  layout:      " << a.layout;
  if (a.layout == "native") std::cout << " (format version " << a.format_version << ")";
  std::cout << "\n";
  std::cout << "  version:     "
            << (a.model_version_source.empty()
                    ? std::string("(not recorded: render uses v15 unless --version; an avatar "
                                  "made before MuseTalk v1.5 needs --version v1)")
                    : a.model_version)
            << "\n";
  std::cout << "  fps:         " << a.fps
            << (a.layout == "upstream" ? " (not recorded upstream: the real-time default)" : "")
            << "\n";
  std::cout << "  source:      " << (a.source.empty() ? "(not recorded)" : a.source) << "\n";
  const size_t source_frames = a.frame_count() / 2;
  std::cout << "  frames:      " << a.frame_count() << " (cycle: " << source_frames
            << (source_frames == 1 ? " frame" : " frames") << ", then reversed)\n";
  std::cout << "  frame size:  " << a.frame_width << "x" << a.frame_height << "\n";
  std::cout << "  face boxes:  " << box_ranges(a.face_boxes) << "\n";
  std::cout << "  mask boxes:  " << box_ranges(a.mask_boxes) << "\n";
  std::cout << "  latents:     "
            << (a.has_latents() ? std::string(files::dtype_name(a.latents.dtype)) + " " +
                                      files::shape_string(a.latents.sizes)
                                : std::string("none (render makes them with the VAE)"))
            << "\n";
  std::cout << "  parameters:  " << a.parameters.dump() << "\n";
  return 0;
}

int import_avatar(const AvatarOptions& opt) {
  const avatar::Avatar a = avatar::load_avatar(opt.path);
  avatar::write_native_avatar(a, opt.out);
  std::cout << "Imported " << a.frame_count() << " frames (" << a.layout << " layout) from "
            << opt.path << " into " << opt.out << "\n";
  return 0;
}

}  // namespace

void add_avatar_command(CLI::App& app, CommandRunner& run) {
  CLI::App* cmd = app.add_subcommand("avatar", "Create, inspect and convert avatar folders");
  cmd->require_subcommand(1);
  auto opt = std::make_shared<AvatarOptions>();

  CLI::App* info_cmd = cmd->add_subcommand(
      "info", "Summarise an avatar folder (native or upstream MuseTalk layout) after checking it");
  info_cmd->add_option("path", opt->path, "Avatar folder")->required();
  info_cmd->callback([&run, opt] { run = [opt] { return info(*opt); }; });

  CLI::App* import_cmd = cmd->add_subcommand(
      "import", "Convert an upstream MuseTalk real-time avatar folder to the native cache");
  import_cmd->add_option("upstream", opt->path, "Upstream avatar folder")->required();
  import_cmd->add_option("out", opt->out, "New native avatar folder (must not exist)")->required();
  import_cmd->callback([&run, opt] { run = [opt] { return import_avatar(*opt); }; });

  add_avatar_create_command(*cmd, run);
}

}  // namespace musetalk::tools
