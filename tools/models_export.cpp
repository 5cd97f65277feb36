// `musetalk models export`: writes a lean model set (export/model_export.h) and prints each file's
// size before and after, and the totals.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "commands.h"
#include "export/model_export.h"
#include "files/byte_units.h"

namespace musetalk::tools {
namespace {

int export_models(const model_export::ExportOptions& options) {
  // Every option and source file checked before anything heavy is read.
  const model_export::ExportPlan plan = model_export::plan_export(options);
  std::cout << "Exporting a model set for " << plan.job << " in " << plan.precision
            << (plan.job == "create" ? "" : " (UNet " + plan.version + ")") << " from "
            << options.models_dir << " into " << options.out << std::endl;
  const model_export::ModelSetManifest manifest = model_export::export_model_set(
      plan, [](const std::string& line) { std::cout << "  " << line << std::endl; });
  uint64_t before = 0, after = 0;
  for (const model_export::ManifestFile& f : manifest.files) {
    before += f.source.bytes;
    after += f.file.bytes;
  }
  std::cout << "\nSize: " << files::format_size(before) << " -> " << files::format_size(after)
            << " (" << manifest.files.size() << " files; " << model_export::kManifestFile
            << " lists each with its SHA-256 and the file it was made from)\n"
            << "Wrote " << options.out << ": use it with --models " << options.out
            << (plan.job == "create" ? " for avatar create" : " for render and stream")
            << (plan.version == "v1" && plan.job != "create" ? " with --version v1" : "")
            << "; `musetalk models check --models " << options.out
            << "` checks it against the manifest.\n";
  return 0;
}

}  // namespace

void add_models_export_command(CLI::App& models, CommandRunner& run) {
  auto opt = std::make_shared<model_export::ExportOptions>();
  CLI::App* cmd = models.add_subcommand(
      "export",
      "Write a lean model set: only the tensors one command loads, as safetensors in one "
      "precision, with a manifest (models/README.md)");
  cmd->add_option("--for", opt->job,
                  "render or stream (the UNet, the VAE decoder, the Whisper encoder) or create "
                  "(avatar create: the whole VAE, S3FD, DWPose, BiSeNet)")
      ->required();
  cmd->add_option("--precision", opt->precision,
                  "fp16, bf16 or fp32 for the UNet, VAE and Whisper (default: fp16 for render "
                  "and stream, fp32 for create; S3FD, DWPose and BiSeNet stay fp32)");
  cmd->add_option("--out", opt->out, "New folder for the set (or an empty one)")->required();
  cmd->add_option("--models", opt->models_dir, "Models folder to export from (models/README.md)")
      ->capture_default_str();
  cmd->add_option("--version", opt->version, "UNet version: v15 or v1")->capture_default_str();
  cmd->callback([&run, opt] { run = [opt] { return export_models(*opt); }; });
}

}  // namespace musetalk::tools
