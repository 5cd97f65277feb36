#include "create/avatar_creator.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "adapters/avatar_latents.h"
#include "avatar/native_avatar.h"
#include "create/face_boxes.h"
#include "create/face_masks.h"
#include "create/source_frames.h"
#include "create/stage_timer.h"
#include "files/error.h"
#include "files/model_layout.h"
#include "media/contact_sheet.h"
#include "media/image_io.h"
#include "torch_io/state_dict.h"

namespace musetalk::create {
namespace {

namespace fs = std::filesystem;
constexpr int kMaxFps = 120;
constexpr int kMaxBboxShift = 1000;  // pixels
constexpr double kMaxSeconds = 1e6;  // --start and --duration
constexpr int kPreviewTiles = 4;

void check_options(const CreateOptions& o) {
  if (o.fps < 1 || o.fps > kMaxFps) {
    throw Error(
        "--fps " + std::to_string(o.fps), "is out of range",
        "give a frame rate from 1 to " + std::to_string(kMaxFps) + " (MuseTalk was trained at 25)");
  }
  if (o.batch < 1 || o.batch > 256) {
    throw Error("--batch " + std::to_string(o.batch), "is out of range", "give 1 to 256 frames");
  }
  if (o.cheek_width < 0 || o.cheek_width > 256) {
    throw Error("--cheek-width " + std::to_string(o.cheek_width), "is out of range",
                "give 0 to 256 pixels of the 512x512 parsing map (upstream uses 90)");
  }
  if (o.bbox_shift < -kMaxBboxShift || o.bbox_shift > kMaxBboxShift) {
    throw Error("--bbox-shift " + std::to_string(o.bbox_shift), "is out of range",
                "give -" + std::to_string(kMaxBboxShift) + " to " + std::to_string(kMaxBboxShift) +
                    " pixels; the summary of a run suggests a range");
  }
  if (o.box && o.bbox_shift != 0) {
    throw Error("--bbox-shift " + std::to_string(o.bbox_shift),
                "moves the box found from the face's landmarks; with --box the box is used as "
                "given",
                "leave --bbox-shift out, or move the --box itself");
  }
  if (o.version == UNetVersion::V15 && o.bbox_shift != 0) {
    throw Error("--bbox-shift " + std::to_string(o.bbox_shift),
                "applies to --version v1 only: v1.5 places the mask boundary itself (bbox_shift 0 "
                "and a 10 px bottom margin)",
                "leave --bbox-shift out, or add --version v1");
  }
  if (o.start_s < 0 || !(o.start_s <= kMaxSeconds)) {
    throw Error("--start", "must be 0 or more seconds", "give the start in seconds, e.g. 1.5");
  }
  if (o.duration_s < 0 || !(o.duration_s <= kMaxSeconds)) {
    throw Error("--duration", "must be more than 0 seconds (or left out for the whole video)",
                "give the length in seconds, e.g. 10");
  }
}

void check_output(const std::string& out) {
  if (out.empty()) throw Error("--out", "is empty", "give the path of a new folder for the avatar");
  std::error_code ec;
  if (fs::exists(out, ec)) {
    throw Error(out, "already exists", "choose a new folder for the avatar, or remove this one");
  }
  const fs::path parent = avatar::avatar_folder_path(out).parent_path();
  if (!fs::is_directory(parent, ec)) {
    throw Error(out, "its parent folder " + parent.string() + " does not exist",
                "create the parent folder first");
  }
}

void require_model(const std::string& path, const char* what, const std::string& models_dir) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw Error(path, std::string(what) + " not found (needed by avatar create)",
                "download it: musetalk models download --for create --models " + models_dir);
  }
}

// The cycle folder's frame and mask PNGs: cycle entry j links the source file of kept frame j
// (first half) or of kept frame 2N-1-j (second half), named by j as the native layout wants them.
std::string cycle_file(const fs::path& dir, size_t j, const std::string& source) {
  const fs::path path = dir / avatar::cycle_png_name(j);
  std::error_code ec;
  fs::create_hard_link(source, path, ec);
  if (ec) fs::copy_file(source, path);
  return path.string();
}

avatar::Avatar assemble_cycle(const CreateOptions& options, const media::VideoInfo& info,
                              const std::vector<SourceFrame>& frames,
                              const std::vector<FrameMask>& masks, const ScratchFolder& scratch) {
  std::vector<size_t> kept;
  for (size_t i = 0; i < frames.size(); ++i) {
    if (frames[i].report.dropped.empty()) kept.push_back(i);
  }
  avatar::Avatar a;
  a.root = scratch.path();
  a.layout = "native";
  a.format_version = avatar::kNativeFormatVersion;
  a.model_version = options.version == UNetVersion::V15 ? "v15" : "v1";
  a.fps = options.fps;
  a.source = options.video;
  a.frame_width = info.width;
  a.frame_height = info.height;
  const fs::path frame_dir = scratch.file("cycle_frames"), mask_dir = scratch.file("cycle_masks");
  fs::create_directories(frame_dir);
  fs::create_directories(mask_dir);
  const size_t n = kept.size();
  for (size_t j = 0; j < 2 * n; ++j) {
    const size_t i = kept[j < n ? j : 2 * n - 1 - j];
    a.face_boxes.push_back(*frames[i].report.face_box);
    a.mask_boxes.push_back(masks[i].crop_box);
    a.frame_files.push_back(cycle_file(frame_dir, j, frames[i].png));
    a.mask_files.push_back(cycle_file(mask_dir, j, masks[i].png));
  }
  a.sources = {scratch.path(), scratch.path(), "", frame_dir.string(), mask_dir.string()};
  return a;
}

nlohmann::ordered_json parameters_json(const CreateOptions& o, const media::VideoInfo& info,
                                       const std::vector<SourceFrame>& frames) {
  nlohmann::ordered_json p = nlohmann::ordered_json::object();
  const bool v15 = o.version == UNetVersion::V15;
  p["bbox_shift"] = v15 ? 0 : o.bbox_shift;
  p["extra_margin"] = v15 && !o.box ? avatar::kV15ExtraMargin : 0;
  p["parsing_mode"] = media::parsing_mode_name(o.parsing_mode);
  p["cheek_width"] = o.cheek_width;
  p["upper_boundary_ratio"] = 0.5;
  p["expand"] = 1.5;
  if (o.box) p["box"] = {o.box->x1, o.box->y1, o.box->x2, o.box->y2};
  p["source_fps"] = info.source_fps;
  p["start_s"] = o.start_s;
  if (o.duration_s > 0) p["duration_s"] = o.duration_s;
  p["latents"] = "VAE posterior mean";
  nlohmann::ordered_json dropped = nlohmann::ordered_json::array();
  for (const SourceFrame& f : frames) {
    if (!f.report.dropped.empty()) {
      dropped.push_back({{"frame", f.report.index}, {"reason", f.report.dropped}});
    }
  }
  p["frames_read"] = frames.size();
  p["frames_dropped"] = dropped;
  return p;
}

// Up to kPreviewTiles kept frames spread over the cycle's first half.
std::string write_preview(const avatar::Avatar& a, const ScratchFolder& scratch) {
  const size_t n = a.frame_count() / 2;
  const size_t tiles = std::min<size_t>(kPreviewTiles, n);
  std::vector<media::SheetTile> sheet;
  for (size_t t = 0; t < tiles; ++t) {
    const size_t j = tiles == 1 ? 0 : t * (n - 1) / (tiles - 1);
    sheet.push_back({media::read_png(a.frame_files[j], 3), a.face_boxes[j], a.mask_boxes[j],
                     media::read_png(a.mask_files[j], 1), "cycle frame " + std::to_string(j)});
  }
  const std::string path = scratch.file("preview.png");
  media::write_png(path, media::contact_sheet(sheet));
  return path;
}

}  // namespace

CreateModelPaths CreateModelPaths::in(const std::string& models_dir) {
  CreateModelPaths p;
  p.vae = ModelPaths::in(models_dir, UNetVersion::V15);
  // The released file, or the safetensors a set exported with `models export --for create`
  // holds (models/README.md); load_state_dict tells the containers apart by content.
  const fs::path dir(models_dir);
  p.s3fd = files::first_present((dir / "s3fd").string(),
                                {"s3fd-619a316812.pth", "s3fd-619a316812.safetensors"});
  p.dwpose = files::first_present((dir / "dwpose").string(),
                                  {"dw-ll_ucoco_384.pth", "dw-ll_ucoco_384.safetensors"});
  p.bisenet = files::first_present((dir / "face-parse-bisent").string(),
                                   {"79999_iter.pth", "79999_iter.safetensors"});
  return p;
}

CreatePlan check_create_inputs(const CreateOptions& options) {
  if (options.video.empty()) {
    throw Error("--video", "is empty", "give the video (or image) of the face");
  }
  check_options(options);
  check_output(options.out);
  CreatePlan plan;
  media::VideoReadOptions read;
  read.fps = options.fps;
  read.start_s = options.start_s;
  read.duration_s = options.duration_s;
  plan.video = media::probe_video(options.video, read);
  if (plan.video.still_image && (options.start_s > 0 || options.duration_s > 0)) {
    throw Error(options.video, "is a still image: --start and --duration do not apply to it",
                "leave them out (an image makes a one-frame avatar)");
  }
  if (options.box) {
    avatar::check_given_box(*options.box, plan.video.width, plan.video.height, "--box");
  }
  plan.models = CreateModelPaths::in(options.models_dir);
  const std::string& dir = options.models_dir;
  require_model(plan.models.vae.vae_config, "the VAE config", dir);
  require_model(plan.models.vae.vae_weights, "the VAE weights", dir);
  require_vae_encoder(plan.models.vae);  // a set exported for render or stream has none
  require_model(plan.models.bisenet, "the BiSeNet face-parsing weights", dir);
  if (!options.box) {
    require_model(plan.models.s3fd, "the S3FD face detector weights", dir);
    require_model(plan.models.dwpose, "the DWPose landmark weights", dir);
  }
  return plan;
}

CreateSummary create_avatar(const CreateOptions& options, const CreatePlan& plan) {
  CreateSummary summary;
  summary.out = options.out;
  ScratchFolder scratch(options.out);

  const StageTimer decode_time;
  std::vector<SourceFrame> frames = write_source_frames(options, scratch, summary.video);
  summary.seconds.decode = decode_time.seconds();
  if (frames.empty()) {
    throw Error(options.video, "has no frames in the part asked for",
                "check --start and --duration against the video's length");
  }

  const std::vector<avatar::FaceLandmarks> landmarks =
      find_face_boxes(options, plan.models, summary.video, frames, summary.seconds);
  if (!options.box) summary.bbox_shift_range = avatar::bbox_shift_range(landmarks);
  for (const SourceFrame& f : frames) summary.frames.push_back(f.report);
  for (const FrameReport& r : summary.frames) summary.kept += r.dropped.empty() ? 1 : 0;
  if (summary.kept == 0) {
    throw Error(options.video,
                "no face was found in any of its " + std::to_string(frames.size()) + " frames",
                "use a clip where the face is frontal and well lit, or give the face box with "
                "--box x1,y1,x2,y2 (for stylised faces that detectors miss)");
  }

  const StageTimer parsing_time;
  const std::vector<FrameMask> masks = make_face_masks(options, plan.models, frames, scratch);
  summary.seconds.parsing = parsing_time.seconds();

  avatar::Avatar a = assemble_cycle(options, summary.video, frames, masks, scratch);
  a.parameters = parameters_json(options, summary.video, frames);

  const StageTimer latents_time;
  {
    torch::InferenceMode inference;
    if (options.progress) options.progress("latents", 0, static_cast<int64_t>(a.frame_count()));
    LoadedVae vae = load_vae_alone(plan.models.vae, options.device, options.dtype);
    const torch::Tensor latents = adapters::make_avatar_latents(
        vae.vae, vae.config.scaling_factor, a, options.batch, [&](int64_t done, int64_t total) {
          if (options.progress) options.progress("latents", done, total);
        });
    a.latents = to_file_tensor(latents.to(torch::kCPU, torch::kHalf).contiguous());
  }
  summary.seconds.latents = latents_time.seconds();

  const StageTimer write_time;
  const std::string preview = write_preview(a, scratch);
  avatar::write_native_avatar(a, options.out, {preview});
  summary.preview = (fs::path(options.out) / "preview.png").string();
  summary.seconds.write = write_time.seconds();
  return summary;
}

}  // namespace musetalk::create
