#include "files/model_layout.h"

#include <filesystem>

#include "files/error.h"

namespace musetalk::files {

namespace fs = std::filesystem;

std::string first_present(const std::string& dir, std::initializer_list<const char*> names) {
  std::error_code ec;
  for (const char* n : names) {
    if (fs::exists(fs::path(dir) / n, ec)) return (fs::path(dir) / n).string();
  }
  return (fs::path(dir) / *names.begin()).string();
}

const std::vector<ModelFile>& model_files() {
  static const std::vector<ModelFile> kFiles = {
      {"musetalkV15/musetalk.json", "UNet v1.5 config", "TMElyralab/MuseTalk",
       "musetalkV15/musetalk.json", true, true, true, false},
      {"musetalkV15/unet.pth", "UNet v1.5 weights", "TMElyralab/MuseTalk", "musetalkV15/unet.pth",
       true, false, true, false},
      {"musetalk/musetalk.json", "UNet v1 config (--version v1)", "TMElyralab/MuseTalk",
       "musetalk/musetalk.json", false, true, false, false},
      {"musetalk/pytorch_model.bin", "UNet v1 weights (--version v1)", "TMElyralab/MuseTalk",
       "musetalk/pytorch_model.bin", false, false, false, false},
      {"sd-vae/config.json", "VAE config", "stabilityai/sd-vae-ft-mse", "config.json", true, true,
       true, true},
      {"sd-vae/diffusion_pytorch_model.bin", "VAE weights", "stabilityai/sd-vae-ft-mse",
       "diffusion_pytorch_model.bin", true, false, true, true},
      {"whisper/config.json", "Whisper-tiny config", "openai/whisper-tiny", "config.json", true,
       true, true, false},
      {"whisper/preprocessor_config.json", "Whisper-tiny feature extractor", "openai/whisper-tiny",
       "preprocessor_config.json", true, true, true, false},
      {"whisper/pytorch_model.bin", "Whisper-tiny weights", "openai/whisper-tiny",
       "pytorch_model.bin", true, false, true, false},
      {"dwpose/dw-ll_ucoco_384.pth", "DWPose landmarks (avatar creation)", "yzd-v/DWPose",
       "dw-ll_ucoco_384.pth", true, false, false, true},
      {"face-parse-bisent/79999_iter.pth", "BiSeNet face parsing (avatar creation)",
       "ManyOtherFunctions/face-parse-bisent", "79999_iter.pth", true, false, false, true},
      {"s3fd/s3fd-619a316812.pth", "S3FD face detector (avatar creation)", "camenduru/facexlib",
       "s3fd-619a316812.pth", true, false, false, true},
  };
  return kFiles;
}

std::vector<ModelFile> model_files_for(const std::string& job) {
  if (job == "all") return model_files();
  if (job != "render" && job != "create") {
    throw Error("job " + job, "is not a job this program knows",
                "use render (what `musetalk render` needs), create (`musetalk avatar create`) or "
                "all");
  }
  std::vector<ModelFile> out;
  for (const ModelFile& f : model_files()) {
    if (job == "render" ? f.render : f.create) out.push_back(f);
  }
  return out;
}

std::string download_hint(const std::string& models_dir, const std::string& job) {
  std::string hint =
      "Download each file from Hugging Face (https://huggingface.co/<repository>/"
      "resolve/main/<file>) into " +
      models_dir + ":\n";
  for (const ModelFile& f : model_files_for(job)) {
    hint += "  " + f.repo + "  " + f.repo_path + "  ->  " + models_dir + "/" + f.path +
            (f.required ? "" : "  (optional)") + "\n";
  }
  hint += "Or let `musetalk models download" + (job == "all" ? std::string() : " --for " + job) +
          " --models " + models_dir + "` fetch them. See models/README.md for details.";
  return hint;
}

}  // namespace musetalk::files
