// `musetalk models download`: fetches the weight files from Hugging Face (or HF_ENDPOINT /
// --endpoint) into the models folder, resuming partial downloads and verifying SHA-256.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "files/error.h"
#include "files/model_layout.h"
#include "net/downloader.h"
#include "progress.h"

namespace musetalk::tools {
namespace {

namespace fs = std::filesystem;

struct DownloadCommandOptions {
  std::string models_dir = "models";
  std::string endpoint;  // "" : HF_ENDPOINT or https://huggingface.co
  std::string job = "all";
  std::vector<std::string> only;
};

std::vector<files::ModelFile> selected_files(const std::string& job,
                                             const std::vector<std::string>& only) {
  const std::vector<files::ModelFile> all = model_files_for_option(job);
  if (only.empty()) return all;
  std::vector<files::ModelFile> picked;
  for (const std::string& name : only) {
    bool found = false;
    for (const files::ModelFile& f : all) {
      if (f.path == name) {
        picked.push_back(f);
        found = true;
        break;
      }
    }
    if (!found) {
      std::string known;
      for (const files::ModelFile& f : all) known += "\n    " + f.path;
      throw Error("--only " + name, "not one of the model files",
                  "name a path as `models check` lists it:" + known);
    }
  }
  return picked;
}

int download(const DownloadCommandOptions& opt) {
  const std::string endpoint = opt.endpoint.empty() ? net::default_endpoint() : opt.endpoint;
  net::DownloadOptions dl;
  dl.log = &std::cout;
  // Each file's bytes, on stdout with the status lines: a redrawn bar on a terminal, plain lines
  // otherwise.
  ProgressOptions bar_options;
  bar_options.unit = ProgressUnit::kBytes;
  bar_options.out = stdout;
  const std::vector<files::ModelFile> todo = selected_files(opt.job, opt.only);
  std::cout << "Models folder: " << opt.models_dir << "\nEndpoint: " << endpoint << "\n";
  int downloaded = 0, skipped = 0;
  for (size_t i = 0; i < todo.size(); ++i) {
    const files::ModelFile& f = todo[i];
    const std::string url = net::resolve_url(endpoint, f.repo, f.repo_path);
    std::cout << "[" << (i + 1) << "/" << todo.size() << "] " << f.path << "  <-  " << url
              << std::endl;
    const std::string dest = (fs::path(opt.models_dir) / f.path).string();
    Progress progress("  download", /*quiet=*/false, bar_options);
    dl.on_progress = [&progress](int64_t done, int64_t total) { progress.update(done, total); };
    const net::DownloadOutcome outcome = net::download_file(url, dest, dl);
    progress.finish();
    if (outcome == net::DownloadOutcome::kSkipped) {
      ++skipped;
    } else {
      ++downloaded;
    }
  }
  std::cout << "\nDone: " << downloaded << " downloaded, " << skipped
            << " already present. Check them with `musetalk models check`.\n";
  return 0;
}

}  // namespace

void add_models_download_command(CLI::App& models, CommandRunner& run) {
  auto opt = std::make_shared<DownloadCommandOptions>();
  CLI::App* cmd = models.add_subcommand(
      "download",
      "Download the weight files (required and optional) from Hugging Face; resumes partial "
      "downloads, checks SHA-256, skips files already present");
  cmd->add_option("--models", opt->models_dir, "Models folder (layout: models/README.md)")
      ->capture_default_str();
  cmd->add_option("--endpoint", opt->endpoint,
                  "Hub address (default: $HF_ENDPOINT, else https://huggingface.co)");
  cmd->add_option("--for", opt->job,
                  "Only the files this job needs: render, create (avatar create) or all")
      ->capture_default_str();
  cmd->add_option("--only", opt->only, "Download only these files (paths as `models check` shows)");
  cmd->callback([&run, opt] { run = [opt] { return download(*opt); }; });
}

}  // namespace musetalk::tools
