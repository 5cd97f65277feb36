// `musetalk models check`: which weight files are present, what container each is, whether it
// opens. A set written by `models export` is checked against its manifest
// (export/export_manifest.h).
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <set>
#include <string>

#include "commands.h"
#include "create/create_options.h"
#include "error_report.h"
#include "export/export_manifest.h"
#include "face/face_parser.h"
#include "face/pose_landmarks.h"
#include "face/s3fd_detector.h"
#include "files/byte_units.h"
#include "files/checkpoint.h"
#include "files/error.h"
#include "files/json_file.h"
#include "files/model_layout.h"
#include "model/model_set.h"
#include "net/sha256.h"

namespace musetalk::tools {
namespace {

namespace fs = std::filesystem;

constexpr int kExitMissing = 2;
constexpr int kExitDamaged = 1;

struct CheckOptions {
  std::string models_dir = "models";
  std::string job = "all";
  bool verify = false;
};

// Returns "" when the file opens, else the reason it does not.
std::string open_problem(const std::string& path, const files::ModelFile& f, bool verify,
                         std::string& container, std::string& detail) {
  try {
    if (f.is_json) {
      container = "json";
      files::read_json_file(path);
      return "";
    }
    files::ReadOptions options;
    options.load_data = verify;
    files::Checkpoint ckpt = files::read_checkpoint(path, options);
    container = files::container_name(ckpt.container);
    detail = std::to_string(ckpt.tensors.size()) + " tensors";
    return "";
  } catch (const Error& e) {
    if (container.empty()) container = "?";
    return e.problem();
  } catch (const files::FormatError& e) {
    return e.what();
  } catch (const std::bad_alloc&) {
    return "out of memory while reading it";
  } catch (const std::exception& e) {
    return e.what();
  }
}

struct NetworkFiles {
  const char* name;
  std::string config, weights;  // config "" for the fixed-architecture creation networks
  std::function<void()> load;   // the command's own loader for it, on the CPU in float32
};

NetworkFiles render_network(const char* name, Network network, const std::string& config,
                            const std::string& weights) {
  ModelPaths paths;
  paths.unet_config = paths.vae_config = paths.whisper_config = config;
  paths.unet_weights = paths.vae_weights = paths.whisper_weights = weights;
  return {name, config, weights, [paths, network] { check_network_loads(paths, network); }};
}

// The networks the job loads, each with the files it is built from and the loader the command
// that needs it uses; `version` is the UNet's for "render" (an exported v1 set).
std::vector<NetworkFiles> networks_for(const std::string& models_dir, const std::string& job,
                                       UNetVersion version = UNetVersion::V15) {
  const ModelPaths v15 = ModelPaths::in(models_dir, UNetVersion::V15);
  std::vector<NetworkFiles> out;
  if (job != "create") {
    const ModelPaths p = ModelPaths::in(models_dir, version);
    out.push_back(render_network(version == UNetVersion::V15 ? "UNet v1.5" : "UNet v1",
                                 Network::UNet, p.unet_config, p.unet_weights));
  }
  out.push_back(render_network("VAE", Network::Vae, v15.vae_config, v15.vae_weights));
  if (job != "create") {
    out.push_back(
        render_network("Whisper", Network::Whisper, v15.whisper_config, v15.whisper_weights));
  }
  if (job == "all") {
    const ModelPaths v1 = ModelPaths::in(models_dir, UNetVersion::V1);
    out.push_back(render_network("UNet v1", Network::UNet, v1.unet_config, v1.unet_weights));
  }
  if (job == "create" || job == "all") {
    const create::CreateModelPaths c = create::CreateModelPaths::in(models_dir);
    const auto cpu = torch::kCPU;
    const auto fp32 = torch::kFloat32;
    out.push_back({"S3FD", "", c.s3fd, [c, cpu, fp32] { face::load_s3fd(c.s3fd, cpu, fp32); }});
    out.push_back(
        {"DWPose", "", c.dwpose, [c, cpu, fp32] { face::load_dwpose(c.dwpose, cpu, fp32); }});
    out.push_back(
        {"BiSeNet", "", c.bisenet, [c, cpu, fp32] { face::load_bisenet(c.bisenet, cpu, fp32); }});
  }
  return out;
}

// --verify: every network whose files are there and open is loaded as the command that needs it
// loads it (config built, strict name and shape match), on the CPU, one at a time. Returns how many
// do not load.
int check_loads(const std::vector<NetworkFiles>& networks, const std::set<std::string>& unusable) {
  std::cout << "\nLoading as the commands do (on the CPU, one network at a time):\n";
  int failed = 0;
  for (const NetworkFiles& n : networks) {
    std::error_code ec;
    const bool present = (n.config.empty() || fs::is_regular_file(n.config, ec)) &&
                         fs::is_regular_file(n.weights, ec);
    if (!present || unusable.count(n.config) || unusable.count(n.weights)) {
      std::printf("  skipped  %-10s (a file is missing or does not open)\n", n.name);
      continue;
    }
    try {
      torch::NoGradGuard no_grad;
      n.load();
      std::printf("  loads    %-10s %s%s%s\n", n.name, n.config.c_str(),
                  n.config.empty() ? "" : " + ", n.weights.c_str());
    } catch (const std::exception& e) {
      // musetalk::Error (what render stops with), and also LibTorch's c10::Error or
      // std::bad_alloc: that network does not load, and the check goes on with the next one.
      ++failed;
      std::printf("  DOES NOT LOAD  %s; %s:\n", n.name,
                  dynamic_cast<const Error*>(&e) ? "render stops with" : "loading it failed with");
      std::fflush(stdout);
      report_error(std::current_exception(), std::cout);
    }
  }
  return failed;
}

// `models export` again, as the manifest's set was exported.
std::string export_command(const model_export::ModelSetManifest& m) {
  return "musetalk models export --for " + m.job + " --precision " + m.precision +
         (m.version == "v15" ? "" : " --version " + m.version) +
         " --models <the released files> --out <a new folder>";
}

// A set written by `models export`: the files its manifest lists, present, of the size it says,
// opening (and with --verify their SHA-256 as it says, and each network loading as the commands
// load it). The job asked for (--for) must be one the set was exported for.
int check_exported(const CheckOptions& opt) {
  const model_export::ModelSetManifest m = model_export::read_manifest(opt.models_dir);
  model_files_for_option(opt.job);  // an unknown --for is refused as for the released layout
  std::cout << "Models folder: " << opt.models_dir << " (exported for " << m.job << " in "
            << m.precision << (m.job == "create" ? "" : ", UNet " + m.version) << "; "
            << model_export::kManifestFile << " lists its files)\n";
  const bool serves = opt.job == "all" || (opt.job == "create") == (m.job == "create");
  if (!serves) {
    std::cout << "\nThis set was exported for " << m.job << ": it has none of the files "
              << (opt.job == "create" ? "avatar create needs" : "render and stream need") << ".\n"
              << "Check the released files instead, or export a set for " << opt.job << ": "
              << "musetalk models export --for " << opt.job
              << " --models <the released files> --out <a new folder>\n";
    return kExitMissing;
  }
  std::vector<std::string> missing;
  std::set<std::string> unusable;
  int damaged = 0;
  for (const model_export::ManifestFile& f : m.files) {
    const std::string path = (fs::path(opt.models_dir) / f.file.path).string();
    const std::string purpose = f.network + (f.is_config ? " config" : " weights");
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      unusable.insert(path);
      std::printf("  missing  %-44s %s\n", f.file.path.c_str(), purpose.c_str());
      missing.push_back(f.file.path);
      continue;
    }
    const uint64_t size = fs::file_size(path, ec);
    std::string container, detail, problem;
    if (size != f.file.bytes) {
      container = "?";
      problem = "its size differs from the manifest's (" + std::to_string(f.file.bytes) + " bytes)";
    } else {
      const files::ModelFile as_model{f.file.path, purpose,     "",    "",
                                      true,        f.is_config, false, false};
      problem = open_problem(path, as_model, opt.verify, container, detail);
      if (problem.empty() && opt.verify && net::sha256_file_hex(path) != f.file.sha256) {
        problem = "its SHA-256 differs from the manifest's";
      }
    }
    std::printf("  found    %-44s %10s  %-13s %s\n", f.file.path.c_str(),
                files::format_size(size).c_str(), container.c_str(),
                problem.empty() ? ("opens" + (detail.empty() ? "" : " (" + detail + ")")).c_str()
                                : ("DOES NOT OPEN: " + problem).c_str());
    if (!problem.empty()) {
      unusable.insert(path);
      ++damaged;
    }
  }
  const std::vector<NetworkFiles> networks =
      m.job == "create" ? networks_for(opt.models_dir, "create")
                        : networks_for(opt.models_dir, "render", parse_unet_version(m.version));
  const int not_loading = opt.verify ? check_loads(networks, unusable) : 0;
  if (!missing.empty()) {
    std::cout << "\n"
              << missing.size() << " file(s) the manifest lists are missing.\n"
              << "Export the set again: " << export_command(m) << "\n";
    return kExitMissing;
  }
  if (damaged > 0 || not_loading > 0) {
    std::cout << "\n"
              << damaged + not_loading
              << " file(s) or network(s) do not open or load as the manifest says.\n"
              << "Export the set again: " << export_command(m) << "\n";
    return kExitDamaged;
  }
  std::cout << (opt.verify ? "\nEvery file the manifest lists is present, matches its SHA-256, "
                             "opens and loads as the commands load it.\n"
                           : "\nEvery file the manifest lists is present and opens.\n");
  return 0;
}

int check(const CheckOptions& opt) {
  if (model_export::has_manifest(opt.models_dir)) return check_exported(opt);
  std::error_code folder_error;
  std::cout << "Models folder: " << opt.models_dir
            << (fs::is_directory(opt.models_dir, folder_error) ? "" : " (does not exist)") << "\n";
  std::vector<std::string> missing;
  std::set<std::string> unusable;  // paths that are missing or do not open
  int damaged = 0;
  for (const files::ModelFile& f : model_files_for_option(opt.job)) {
    const std::string path = (fs::path(opt.models_dir) / f.path).string();
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      unusable.insert(path);
      std::printf("  missing  %-36s %s%s\n", f.path.c_str(), f.purpose.c_str(),
                  f.required ? "" : " (optional)");
      if (f.required) missing.push_back(f.path);
      continue;
    }
    std::string container, detail;
    std::string problem = open_problem(path, f, opt.verify, container, detail);
    std::printf("  found    %-36s %10s  %-13s %s\n", f.path.c_str(),
                files::format_size(fs::file_size(path, ec)).c_str(), container.c_str(),
                problem.empty() ? ("opens" + (detail.empty() ? "" : " (" + detail + ")")).c_str()
                                : ("DOES NOT OPEN: " + problem).c_str());
    if (!problem.empty()) {
      unusable.insert(path);
      ++damaged;
    }
  }
  const int not_loading =
      opt.verify ? check_loads(networks_for(opt.models_dir, opt.job), unusable) : 0;
  if (!missing.empty()) {
    std::cout << "\n" << missing.size() << " required file(s) missing:\n";
    for (const std::string& m : missing) std::cout << "  " << m << "\n";
    std::cout << "\n" << files::download_hint(opt.models_dir, opt.job) << "\n";
    return kExitMissing;
  }
  if (damaged > 0) {
    std::cout << "\n" << damaged << " file(s) do not open: download them again.\n";
    return kExitDamaged;
  }
  if (not_loading > 0) {
    std::cout << "\n"
              << not_loading
              << " network(s) do not load as the commands load them: they refuse this folder.\n";
    return kExitDamaged;
  }
  std::cout << (opt.verify
                    ? "\nAll required files are present, open and load as the commands load them.\n"
                    : "\nAll required files are present and open.\n");
  return 0;
}

}  // namespace

std::vector<files::ModelFile> model_files_for_option(const std::string& job) {
  try {
    return files::model_files_for(job);
  } catch (const Error& e) {
    throw Error("--for " + job, e.problem(), e.fix());
  }
}

void add_models_command(CLI::App& app, CommandRunner& run) {
  CLI::App* models = app.add_subcommand("models", "Check, download or export the weight files");
  models->require_subcommand(1);
  auto opt = std::make_shared<CheckOptions>();
  CLI::App* check_cmd = models->add_subcommand(
      "check", "List the files the pipeline needs: found or missing, size, container, opens");
  check_cmd->add_option("--models", opt->models_dir, "Models folder (layout: models/README.md)")
      ->capture_default_str();
  check_cmd
      ->add_option("--for", opt->job,
                   "Only the files this job needs: render, create (avatar create) or all")
      ->capture_default_str();
  check_cmd->add_flag("--verify", opt->verify,
                      "Also read every tensor, check zip CRCs and load each network as the "
                      "commands do (slower: reads all the data)");
  check_cmd->callback([&run, opt] { run = [opt] { return check(*opt); }; });
  add_models_download_command(*models, run);
  add_models_export_command(*models, run);
}

}  // namespace musetalk::tools
