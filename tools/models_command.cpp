// `musetalk models check`: which weight files are present, what container each is, whether it
// opens.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "commands.h"
#include "files/checkpoint.h"
#include "files/error.h"
#include "files/file_source.h"
#include "files/json.h"
#include "files/model_layout.h"

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

std::string human_size(uintmax_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

// Returns "" when the file opens, else the reason it does not.
std::string open_problem(const std::string& path, const files::ModelFile& f, bool verify,
                         std::string& container, std::string& detail) {
  try {
    if (f.is_json) {
      container = "json";
      files::Json::parse(files::read_text_file(path));
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
  }
}

int check(const CheckOptions& opt) {
  std::cout << "Models folder: " << opt.models_dir << "\n";
  std::vector<std::string> missing;
  int damaged = 0;
  for (const files::ModelFile& f : files::model_files_for(opt.job)) {
    const std::string path = (fs::path(opt.models_dir) / f.path).string();
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      std::printf("  missing  %-36s %s%s\n", f.path.c_str(), f.purpose.c_str(),
                  f.required ? "" : " (optional)");
      if (f.required) missing.push_back(f.path);
      continue;
    }
    std::string container, detail;
    std::string problem = open_problem(path, f, opt.verify, container, detail);
    std::printf("  found    %-36s %10s  %-13s %s\n", f.path.c_str(),
                human_size(fs::file_size(path, ec)).c_str(), container.c_str(),
                problem.empty() ? ("opens" + (detail.empty() ? "" : " (" + detail + ")")).c_str()
                                : ("DOES NOT OPEN: " + problem).c_str());
    if (!problem.empty()) ++damaged;
  }
  if (!missing.empty()) {
    std::cout << "\n" << missing.size() << " required file(s) missing:\n";
    for (const std::string& m : missing) std::cout << "  " << m << "\n";
    std::cout << "\n" << files::download_hint(opt.models_dir) << "\n";
    return kExitMissing;
  }
  if (damaged > 0) {
    std::cout << "\n" << damaged << " file(s) do not open: download them again.\n";
    return kExitDamaged;
  }
  std::cout << "\nAll required files are present and open.\n";
  return 0;
}

}  // namespace

void add_models_command(CLI::App& app, CommandRunner& run) {
  CLI::App* models = app.add_subcommand("models", "Check or download the weight files");
  models->require_subcommand(1);
  auto opt = std::make_shared<CheckOptions>();
  CLI::App* check_cmd = models->add_subcommand(
      "check", "List the files the pipeline needs: found or missing, size, container, opens");
  check_cmd->add_option("--models", opt->models_dir, "Models folder (layout: models/README.md)")
      ->capture_default_str();
  check_cmd->add_option("--for", opt->job, "Only the files this job needs: render or all")
      ->capture_default_str();
  check_cmd->add_flag("--verify", opt->verify,
                      "Also read every tensor and check zip CRCs (slower: reads all the data)");
  check_cmd->callback([&run, opt] { run = [opt] { return check(*opt); }; });
  add_models_download_command(*models, run);
}

}  // namespace musetalk::tools
