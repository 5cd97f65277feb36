// create_bench: avatar creation through the same code as `musetalk avatar create`, on the real
// network sizes (S3FD, DWPose-l, BiSeNet, sd-vae-ft-mse) with synthetic weights unless --models
// names a real models folder. Prints seconds per frame of each stage: decode (video to PNG),
// detect (S3FD on the full frame), landmarks (DWPose with flip test), parsing (BiSeNet and the
// mask rules), latents (two VAE encodings per frame).
//
//   create_bench --video VIDEO [--frames 25] [--box x1,y1,x2,y2] [--models DIR] [--device auto]
//                [--precision auto] [--batch 8] [--threads N] [--json FILE]
#include <CLI/CLI.hpp>

#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "bench_common.h"
#include "create/avatar_creator.h"
#include "files/error.h"
#include "media/ffmpeg_util.h"
#include "model/runtime_options.h"
#include "model/synthetic_weights.h"
#include "nn/bisenet.h"
#include "nn/rtmpose.h"
#include "nn/s3fd.h"
#include "nn/vae.h"
#include "torch_io/state_dict.h"

namespace musetalk {
namespace {

namespace fs = std::filesystem;

struct Options {
  std::string video;
  int frames = 25;
  std::string box;
  std::string models;
  std::string device = "auto";
  std::string precision = "auto";
  int batch = 8;
  int threads = 0;
  std::string json_path;
};

template <typename Module>
void write_synthetic(const fs::path& path, const Module& module) {
  fs::create_directories(path.parent_path());
  save_safetensors(path.string(), synthetic_weights_for(*module));
}

// The files avatar creation reads, at their real sizes, under their released names (the loader
// tells the container by content, so safetensors stand in for the .pth files).
void write_synthetic_models(const fs::path& dir) {
  fs::create_directories(dir / "sd-vae");
  std::ofstream(dir / "sd-vae" / "config.json") << "{}\n";  // sd-vae-ft-mse's values are defaults
  write_synthetic(dir / "sd-vae" / "diffusion_pytorch_model.safetensors",
                  nn::AutoencoderKL(nn::VaeConfig{}));
  write_synthetic(dir / "s3fd" / "s3fd-619a316812.pth", nn::S3FD());
  write_synthetic(dir / "dwpose" / "dw-ll_ucoco_384.pth", nn::RTMPose());
  write_synthetic(dir / "face-parse-bisent" / "79999_iter.pth", nn::BiSeNet());
}

avatar::Box parse_box(const std::string& text) {
  avatar::Box b;
  if (std::sscanf(text.c_str(), "%d,%d,%d,%d", &b.x1, &b.y1, &b.x2, &b.y2) != 4) {
    throw Error("--box " + text, "is not x1,y1,x2,y2", "give four whole numbers");
  }
  return b;
}

int run(const Options& o) {
  media::log_errors_only();
  create::CreateOptions c;
  c.device = parse_device(o.device);
  c.dtype = resolve_dtype(parse_precision(o.precision), c.device);
  host::set_cpu_threads(o.threads);
  const fs::path work = fs::temp_directory_path() / ("create_bench_" + std::to_string(::getpid()));
  fs::create_directories(work);
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{work};

  c.models_dir = o.models;
  if (c.models_dir.empty()) {
    std::fprintf(stderr, "writing synthetic models of the real sizes to %s\n", work.c_str());
    write_synthetic_models(work / "models");
    c.models_dir = (work / "models").string();
  }
  c.video = o.video;
  c.out = (work / "avatar").string();
  c.duration_s = static_cast<double>(o.frames) / c.fps;
  c.batch = o.batch;
  if (!o.box.empty()) c.box = parse_box(o.box);

  const create::CreatePlan plan = create::check_create_inputs(c);
  const create::CreateSummary s = create::create_avatar(c, plan);
  const double n = static_cast<double>(s.frames.size());
  const double kept = static_cast<double>(s.kept);
  const create::StageSeconds& t = s.seconds;
  std::printf("avatar creation, %s %s, batch %d, %zu frames of %dx%d (%lld kept)\n",
              c.device.str().c_str(), c10::toString(c.dtype), o.batch, s.frames.size(),
              plan.video.width, plan.video.height, static_cast<long long>(s.kept));
  std::printf("  decode     %8.3f s/frame\n", t.decode / n);
  if (!c.box) {
    std::printf("  detect     %8.3f s/frame  (S3FD, full frame)\n", t.detect / n);
    std::printf("  landmarks  %8.3f s/frame  (DWPose-l 384x288, flip test)\n", t.landmarks / n);
  }
  std::printf("  parsing    %8.3f s/frame  (BiSeNet 512x512 + mask rules)\n", t.parsing / kept);
  std::printf("  latents    %8.3f s/frame  (VAE encoder 256x256 x2, per source frame)\n",
              t.latents / kept);
  std::printf("  write      %8.3f s/frame\n", t.write / kept);

  if (!o.json_path.empty()) {
    nlohmann::ordered_json j = bench::run_settings(c.device, c.dtype);
    j["frames"] = s.frames.size();
    j["size"] = {plan.video.width, plan.video.height};
    j["batch"] = o.batch;
    j["seconds_per_frame"] = {{"decode", t.decode / n},       {"detect", t.detect / n},
                              {"landmarks", t.landmarks / n}, {"parsing", t.parsing / kept},
                              {"latents", t.latents / kept},  {"write", t.write / kept}};
    std::ofstream(o.json_path) << j.dump(2) << "\n";
  }
  return 0;
}

}  // namespace
}  // namespace musetalk

int main(int argc, char** argv) {
  musetalk::Options o;
  CLI::App app{"Seconds per frame of each avatar-creation stage"};
  app.add_option("--video", o.video, "Source video (e.g. MuseTalk's sample yongen.mp4)")
      ->required();
  app.add_option("--frames", o.frames, "Frames to create from")->capture_default_str();
  app.add_option("--box", o.box, "Fixed face box x1,y1,x2,y2 (skips detect and landmarks)");
  app.add_option("--models", o.models, "Real models folder (default: synthetic weights)");
  app.add_option("--device", o.device, "auto, cpu, cuda")->capture_default_str();
  app.add_option("--precision", o.precision, "auto, fp32, fp16, bf16")->capture_default_str();
  app.add_option("--batch", o.batch, "Frames per network call")->capture_default_str();
  app.add_option("--threads", o.threads, "CPU threads (0: all cores)")->capture_default_str();
  app.add_option("--json", o.json_path, "Also write the figures as JSON");
  CLI11_PARSE(app, argc, argv);
  return musetalk::bench::report_errors([&] { return musetalk::run(o); });
}
