// stage_bench: what one output frame costs outside the networks, at a given frame size (default
// the sample video's 704x1216): audio features (log-mel + Whisper-tiny encoder + windows, real
// config, synthetic weights, spread over the clip's frames), reading the avatar frame and mask
// PNGs, compositing (cv2-exact resize + masked paste), and H.264 encoding. These stages must never
// be what limits a 60 fps GPU run.
//
//   stage_bench [--width 704] [--height 1216] [--frames 100] [--device cpu] [--threads N]
//               [--json FILE]
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>

#include "audio/audio_features.h"
#include "bench_common.h"
#include "files/error.h"
#include "files/json_file.h"
#include "host/cpu_threads.h"
#include "media/ffmpeg_util.h"
#include "media/image_io.h"
#include "media/mp4_writer.h"
#include "model/runtime_options.h"
#include "model/synthetic_weights.h"
#include "nn/whisper_encoder.h"
#include "pipeline/compositor.h"
#include "torch_io/strict_load.h"

namespace musetalk {
namespace {

namespace fs = std::filesystem;

struct Options {
  int width = 704, height = 1216, frames = 100, threads = 0;
  std::string device = "cpu";
  std::string allocator = "caching";
  int blas_threads = 0;
  std::string json_path;
};

double seconds_of(const std::function<void()>& work) {
  auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int run(const Options& o) {
  const torch::Device device = parse_device(o.device);
  bench::use_allocator(o.allocator);
  host::set_cpu_threads(o.threads, o.blas_threads);
  media::log_errors_only();
  torch::InferenceMode inference;
  const int fps = 25;
  const fs::path tmp = fs::temp_directory_path() / "musetalk-stage-bench";
  fs::create_directories(tmp);

  // Features: 8 s of audio, the whole-clip path render() takes.
  nn::WhisperConfig whisper_config;
  nn::WhisperEncoder whisper(whisper_config);
  load_strict(*whisper, synthetic_weights_for(*whisper), "synthetic weights");
  whisper->to(device);
  const int64_t samples = 8 * 16000;
  torch::Tensor audio = torch::randn({samples}) * 0.1;
  const int64_t clip_frames = audio::frame_count(samples, fps);
  const double features_s = seconds_of([&] {
    torch::Tensor hidden = audio::whisper_hidden_states(whisper, audio);
    audio::frame_windows(hidden, samples, fps);
  });

  // A frame, a face box about a fifth of the frame wide, its mask and crop box.
  const avatar::Box box{o.width * 2 / 5, o.height * 2 / 5, o.width * 3 / 5, o.height * 3 / 5};
  const avatar::Box crop = pipeline::crop_box_for(box);
  torch::Tensor frame = torch::randint(0, 256, {o.height, o.width, 3}, torch::kUInt8);
  torch::Tensor mask = torch::randint(0, 256, {crop.height(), crop.width()}, torch::kUInt8);
  const std::string frame_png = (tmp / "frame.png").string();
  const std::string mask_png = (tmp / "mask.png").string();
  media::write_png_bgr(frame_png, frame.data_ptr<uint8_t>(), o.width, o.height, o.width * 3);
  torch::Tensor mask_bgr = mask.unsqueeze(-1).expand({-1, -1, 3}).contiguous();
  media::write_png_bgr(mask_png, mask_bgr.data_ptr<uint8_t>(), crop.width(), crop.height(),
                       crop.width() * 3);

  const double read_s = seconds_of([&] {
    for (int i = 0; i < o.frames; ++i) {
      media::read_png(frame_png, 3);
      media::read_png(mask_png, 1);
    }
  });

  // Eight different faces in turn, so the encoder sees changing mouths on a still background,
  // as in a real render.
  std::vector<torch::Tensor> faces, composed;
  for (int k = 0; k < 8; ++k) {
    faces.push_back(torch::randint(0, 256, {256, 256, 3}, torch::kUInt8).to(device));
  }
  torch::Tensor frame_d = frame.to(device), mask_d = mask.to(device);
  const double composite_s = seconds_of([&] {
    for (int i = 0; i < o.frames; ++i) {
      torch::Tensor face = pipeline::resize_face(faces[i % 8], box.width(), box.height());
      torch::Tensor out = pipeline::paste_face(frame_d, face, box, mask_d, crop).to(torch::kCPU);
      if (composed.size() < 8) composed.push_back(out);
    }
  });

  const std::string out = (tmp / "bench.mp4").string();
  const double encode_s = seconds_of([&] {
    media::Mp4Writer writer;
    writer.open(out, o.width, o.height, fps, 18);
    for (int i = 0; i < o.frames; ++i) {
      writer.write_bgr(composed[i % composed.size()].data_ptr<uint8_t>(), o.width * 3);
    }
    writer.finish();
  });
  fs::remove_all(tmp);

  struct Row {
    const char* stage;
    double ms_per_frame;
  };
  const Row rows[] = {{"features", 1000 * features_s / clip_frames},
                      {"read_pngs", 1000 * read_s / o.frames},
                      {"compositing", 1000 * composite_s / o.frames},
                      {"encoding", 1000 * encode_s / o.frames}};
  double total = 0;
  std::printf("stage          ms/frame   (%dx%d, %s, %d threads)\n", o.width, o.height,
              device.str().c_str(), torch::get_num_threads());
  nlohmann::ordered_json json = bench::run_settings(device, torch::kFloat32);
  json["width"] = o.width;
  json["height"] = o.height;
  for (const Row& r : rows) {
    std::printf("%-12s %10.2f\n", r.stage, r.ms_per_frame);
    json[std::string(r.stage) + "_ms_per_frame"] = r.ms_per_frame;
    total += r.ms_per_frame;
  }
  std::printf("%-12s %10.2f  -> at most %.1f fps if run one after another\n", "total", total,
              1000.0 / total);
  json["total_ms_per_frame"] = total;
  if (!o.json_path.empty()) std::ofstream(o.json_path) << json.dump(2) << "\n";
  return 0;
}

}  // namespace
}  // namespace musetalk

int main(int argc, char** argv) {
  musetalk::Options o;
  CLI::App app{"Per-frame cost of the non-network render stages"};
  app.add_option("--width", o.width, "Frame width")->capture_default_str();
  app.add_option("--height", o.height, "Frame height")->capture_default_str();
  app.add_option("--frames", o.frames, "Frames per measurement")->capture_default_str();
  app.add_option("--device", o.device, "cpu, cuda, cuda:N")->capture_default_str();
  app.add_option("--threads", o.threads, "CPU threads (0: all cores)")->capture_default_str();
  app.add_option("--allocator", o.allocator, "CPU tensor allocator: caching or system")
      ->capture_default_str();
  app.add_option("--blas-threads", o.blas_threads, "OpenBLAS threads (0: as --threads)")
      ->capture_default_str();
  app.add_option("--json", o.json_path, "Write the results as JSON to this file");
  CLI11_PARSE(app, argc, argv);
  return musetalk::bench::report_errors([&] { return musetalk::run(o); });
}
