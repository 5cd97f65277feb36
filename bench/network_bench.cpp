// network_bench: UNet forward, VAE decode and the Whisper encoder on the real configurations
// (musetalk.json, sd-vae-ft-mse, whisper-tiny) with synthetic weights, at several batch sizes.
// Prints ms per frame and frames per second as a table, and as JSON with --json FILE.
//
//   network_bench [--device cpu|cuda] [--precision auto|fp32|fp16|bf16] [--batches 1,8,16]
//                 [--iters N] [--threads N] [--json FILE]
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>

#include "bench_common.h"
#include "files/error.h"
#include "files/json_file.h"
#include "host/cpu_threads.h"
#include "model/cpu_blas.h"
#include "model/model_set.h"
#include "model/runtime_options.h"

namespace musetalk {
namespace {

struct Options {
  std::string device = "auto";
  std::string precision = "auto";
  std::vector<int> batches = {1, 8, 16};
  int iters = 3;
  int threads = 0;
  std::string allocator = "caching";
  int blas_threads = 0;
  std::string json_path;
};

void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

// Mean milliseconds of one call after one warm-up call.
double time_ms(const std::function<void()>& call, const torch::Device& device, int iters) {
  call();
  synchronize(device);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) call();
  synchronize(device);
  std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
  return elapsed.count() / iters;
}

struct Row {
  std::string network;
  int batch;
  double ms_per_call;
  double frames_per_call;  // video frames one call produces (Whisper: a 30 s segment = 750)
};

int run(const Options& opt) {
  const torch::Device device = parse_device(opt.device);
  const torch::ScalarType dtype = resolve_dtype(parse_precision(opt.precision), device);
  bench::use_allocator(opt.allocator);
  host::set_cpu_threads(opt.threads, opt.blas_threads);
  if (device.is_cpu()) {
    const std::string warning = reference_blas_warning();
    if (!warning.empty()) std::fprintf(stderr, "%s\n", warning.c_str());
  }
  torch::InferenceMode inference;
  const auto tensor_opts = torch::TensorOptions().device(device).dtype(dtype);

  ModelSet models = synthetic_model_set(device, dtype);
  const nn::UNetConfig& unet_config = models.unet_config;
  const nn::VaeConfig& vae_config = models.vae_config;
  const nn::WhisperConfig& whisper_config = models.whisper_config;
  nn::UNet2DConditionModel& unet = models.unet;
  nn::AutoencoderKL& vae = models.vae;
  nn::WhisperEncoder& whisper = models.whisper;

  std::vector<Row> rows;
  const int latent = 32;
  for (int b : opt.batches) {
    torch::Tensor sample = torch::randn({b, unet_config.in_channels, latent, latent}, tensor_opts);
    torch::Tensor audio = torch::randn({b, 50, unet_config.cross_attention_dim}, tensor_opts);
    rows.push_back(
        {"unet", b, time_ms([&] { unet->forward(sample, audio); }, device, opt.iters), double(b)});
    torch::Tensor z = torch::randn({b, vae_config.latent_channels, latent, latent}, tensor_opts);
    rows.push_back(
        {"vae_decode", b, time_ms([&] { vae->decode(z); }, device, opt.iters), double(b)});
    torch::Tensor mel = torch::randn({b, whisper_config.num_mel_bins, 3000}, tensor_opts);
    rows.push_back(
        {"whisper_30s", b, time_ms([&] { whisper->forward(mel); }, device, opt.iters), 750.0 * b});
  }

  const std::string where = device.str() + " " + std::string(c10::toString(dtype)) + ", " +
                            std::to_string(torch::get_num_threads()) + " threads";
  std::printf("network       batch   ms/call   ms/frame   frames/s   (%s)\n", where.c_str());
  nlohmann::ordered_json json = bench::run_settings(device, dtype);
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const Row& r : rows) {
    const double ms_frame = r.ms_per_call / r.frames_per_call;
    std::printf("%-12s %6d %9.1f %10.3f %10.2f\n", r.network.c_str(), r.batch, r.ms_per_call,
                ms_frame, 1000.0 / ms_frame);
    results.push_back({{"network", r.network},
                       {"batch", r.batch},
                       {"ms_per_call", r.ms_per_call},
                       {"ms_per_frame", ms_frame},
                       {"frames_per_second", 1000.0 / ms_frame}});
  }
  json["results"] = results;
  if (!opt.json_path.empty()) {
    std::ofstream(opt.json_path) << json.dump(2) << "\n";
  } else {
    std::printf("%s\n", json.dump().c_str());
  }
  return 0;
}

}  // namespace
}  // namespace musetalk

int main(int argc, char** argv) {
  musetalk::Options opt;
  CLI::App app{"Throughput of the MuseTalk networks (real configurations, synthetic weights)"};
  app.add_option("--device", opt.device, "auto, cpu, cuda, cuda:N")->capture_default_str();
  app.add_option("--precision", opt.precision, "auto, fp32, fp16, bf16")->capture_default_str();
  app.add_option("--batches", opt.batches, "Batch sizes")->delimiter(',')->capture_default_str();
  app.add_option("--iters", opt.iters, "Timed calls per measurement")->capture_default_str();
  app.add_option("--threads", opt.threads, "CPU threads (0: all cores)")->capture_default_str();
  app.add_option("--allocator", opt.allocator, "CPU tensor allocator: caching or system")
      ->capture_default_str();
  app.add_option("--blas-threads", opt.blas_threads, "OpenBLAS threads (0: as --threads)")
      ->capture_default_str();
  app.add_option("--json", opt.json_path, "Write the results as JSON to this file");
  CLI11_PARSE(app, argc, argv);
  return musetalk::bench::report_errors([&] { return musetalk::run(opt); });
}
