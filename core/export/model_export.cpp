#include "export/model_export.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "create/create_options.h"
#include "face/face_parser.h"
#include "face/pose_landmarks.h"
#include "face/s3fd_detector.h"
#include "files/byte_units.h"
#include "files/checkpoint.h"
#include "files/error.h"
#include "files/file_source.h"
#include "files/safetensors_writer.h"
#include "net/sha256.h"
#include "nn/vae.h"
#include "nn/whisper_encoder.h"
#include "torch_io/state_dict.h"

namespace musetalk::model_export {
namespace {

namespace fs = std::filesystem;

using Log = std::function<void(const std::string&)>;

const char* const kUNetV15 = "UNet v1.5";
const char* const kUNetV1 = "UNet v1";

// The path of `file` (under `root`) relative to root, as the manifest and the messages name it.
std::string relative_to(const std::string& file, const std::string& root) {
  return fs::path(file).lexically_relative(root).generic_string();
}

// out as a folder path without a trailing separator ("lean/" -> "lean").
fs::path folder_path(const std::string& out) {
  fs::path p = fs::absolute(out).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();
  return p;
}

torch::ScalarType parse_precision_name(const std::string& name) {
  if (name == "fp16") return torch::kFloat16;
  if (name == "bf16") return torch::kBFloat16;
  if (name == "fp32") return torch::kFloat32;
  throw Error("--precision " + name, "is not a precision models export writes",
              "use fp16, bf16 or fp32");
}

void check_out(const std::string& out) {
  if (out.empty()) throw Error("--out", "is empty", "give the path of a new folder for the set");
  const fs::path target = folder_path(out);
  std::error_code ec;
  if (fs::exists(target, ec)) {
    if (!fs::is_directory(target, ec)) {
      throw Error(out, "exists and is not a folder", "choose a new folder for the exported set");
    }
    if (!fs::is_empty(target, ec)) {
      throw Error(out, "is not empty", "choose a new folder for the exported set, or an empty one");
    }
  } else if (!fs::is_directory(target.parent_path(), ec)) {
    throw Error(out, "its parent folder " + target.parent_path().string() + " does not exist",
                "create the parent folder first");
  }
}

// The networks of the set, their files named under the folder exported from (ModelPaths::in and
// CreateModelPaths::in, so a set exported before exports again) and under the new set (the
// safetensors names those accept).
std::vector<NetworkExport> networks_for(const ExportPlan& plan) {
  const std::string& dir = plan.options.models_dir;
  const ModelPaths paths = ModelPaths::in(dir, plan.unet_version);
  const auto rel = [&](const std::string& f) { return relative_to(f, dir); };
  std::vector<NetworkExport> out;
  if (plan.job == "create") {
    const create::CreateModelPaths c = create::CreateModelPaths::in(dir);
    out.push_back({"VAE", rel(paths.vae_config), "sd-vae/config.json", rel(paths.vae_weights),
                   "sd-vae/diffusion_pytorch_model.safetensors", "", plan.dtype});
    out.push_back(
        {"S3FD", "", "", rel(c.s3fd), "s3fd/s3fd-619a316812.safetensors", "", torch::kFloat32});
    out.push_back({"DWPose", "", "", rel(c.dwpose), "dwpose/dw-ll_ucoco_384.safetensors", "",
                   torch::kFloat32});
    out.push_back({"BiSeNet", "", "", rel(c.bisenet), "face-parse-bisent/79999_iter.safetensors",
                   "", torch::kFloat32});
    return out;
  }
  const bool v15 = plan.unet_version == UNetVersion::V15;
  const std::string unet_dir = v15 ? "musetalkV15/" : "musetalk/";
  out.push_back({v15 ? kUNetV15 : kUNetV1, rel(paths.unet_config), unet_dir + "musetalk.json",
                 rel(paths.unet_weights),
                 unet_dir + (v15 ? "unet.safetensors" : "model.safetensors"), "", plan.dtype});
  out.push_back({"VAE", rel(paths.vae_config), "sd-vae/config.json", rel(paths.vae_weights),
                 "sd-vae/diffusion_pytorch_model.safetensors", "decoder only", plan.dtype});
  out.push_back({"Whisper", rel(paths.whisper_config), "whisper/config.json",
                 rel(paths.whisper_weights), "whisper/model.safetensors", "encoder only",
                 plan.dtype});
  return out;
}

// Which tensors of a network's weight file (by the file's names) its loader uses: those its
// name mapper keeps (Whisper's encoder, DWPose's "state_dict." tensors), and of the VAE for
// render and stream only the decoder half (decoder.*, post_quant_conv.*).
std::function<bool(const std::string&)> tensors_kept(
    const NetworkExport& n, const std::vector<std::pair<std::string, files::TensorData>>& file) {
  if (n.network == "Whisper") {
    const NameMapper map = nn::whisper_name_mapper();
    return [map](const std::string& name) { return !map(name).empty(); };
  }
  if (n.network == "VAE" && n.kept == "decoder only") {
    const NameMapper map = nn::vae_name_mapper();
    return [map](const std::string& name) {
      const std::string m = map(name);
      return m.rfind("decoder.", 0) == 0 || m.rfind("post_quant_conv.", 0) == 0;
    };
  }
  if (n.network == "DWPose") {
    StateDict names;  // the mapper looks at the names only
    for (const auto& [name, t] : file) names.insert(name, torch::Tensor());
    const NameMapper map = face::dwpose_name_mapper(names);
    if (map) return [map](const std::string& name) { return !map(name).empty(); };
  }
  return [](const std::string&) { return true; };
}

bool is_float(files::DType t) {
  return t == files::DType::Float32 || t == files::DType::Float16 || t == files::DType::BFloat16 ||
         t == files::DType::Float64;
}

// A float tensor in dtype (rounded as LibTorch's Tensor::to rounds, the conversion Module::to
// applies when a command runs the released weights in that dtype); any other tensor as it is.
files::TensorData cast(const files::TensorData& t, torch::ScalarType dtype) {
  if (!is_float(t.dtype) || to_scalar_type(t.dtype) == dtype) return t;
  return to_file_tensor(to_torch(t).to(dtype));
}

FileRecord record(const std::string& path, const std::string& root) {
  FileRecord r;
  r.path = relative_to(path, root);
  r.bytes = fs::file_size(path);
  r.sha256 = net::sha256_file_hex(path);
  return r;
}

std::string size_change(const FileRecord& from, const FileRecord& to) {
  return from.path + " (" + files::format_size(from.bytes) + ") -> " + to.path + " (" +
         files::format_size(to.bytes) + ")";
}

ManifestFile copy_config(const NetworkExport& n, const std::string& from_dir,
                         const fs::path& staging, const Log& log) {
  const fs::path source = fs::path(from_dir) / n.config_source;
  const fs::path target = staging / n.config_target;
  fs::create_directories(target.parent_path());
  fs::copy_file(source, target);
  ManifestFile f;
  f.network = n.network;
  f.is_config = true;
  f.source = record(source.string(), from_dir);
  f.file = record(target.string(), staging.string());
  if (log) log(n.network + " config: " + size_change(f.source, f.file));
  return f;
}

ManifestFile write_weights(const NetworkExport& n, const std::string& from_dir,
                           const fs::path& staging, const Log& log) {
  const fs::path source = fs::path(from_dir) / n.weights_source;
  const fs::path target = staging / n.weights_target;
  ManifestFile f;
  f.network = n.network;
  f.source = record(source.string(), from_dir);
  if (log)
    log(n.network + ": reading " + f.source.path + " (" + files::format_size(f.source.bytes) + ")");
  const files::Checkpoint ckpt = files::read_checkpoint(source.string());
  const auto keep = tensors_kept(n, ckpt.tensors);
  std::vector<std::pair<std::string, files::TensorData>> kept;
  for (const auto& [name, t] : ckpt.tensors) {
    if (keep(name)) kept.emplace_back(name, cast(t, n.dtype));
  }
  if (kept.empty()) {
    throw Error(source.string(), "holds none of the tensors " + n.network + " needs",
                "download it again (models/README.md)");
  }
  fs::create_directories(target.parent_path());
  files::write_safetensors(target.string(), kept);
  f.file = record(target.string(), staging.string());
  f.tensors = static_cast<int64_t>(kept.size());
  f.dtype = files::dtype_name(to_file_dtype(n.dtype));
  if (log) {
    log(n.network + ": " + size_change(f.source, f.file) + ", " + std::to_string(f.tensors) +
        " of " + std::to_string(ckpt.tensors.size()) + " tensors" +
        (n.kept.empty() ? "" : " (" + n.kept + ")") + ", " + f.dtype);
  }
  return f;
}

// The network loaded from the new set with the loader its command uses, as `models check
// --verify` loads it: on the CPU in float32, strict, then released.
void load_back(const ExportPlan& plan, const NetworkExport& n, const std::string& staging) {
  torch::NoGradGuard no_grad;
  const ModelPaths paths = ModelPaths::in(staging, plan.unet_version);
  const create::CreateModelPaths c = create::CreateModelPaths::in(staging);
  if (n.network == kUNetV15 || n.network == kUNetV1) {
    check_network_loads(paths, Network::UNet);
  } else if (n.network == "Whisper") {
    check_network_loads(paths, Network::Whisper);
  } else if (n.network == "VAE") {
    const LoadedVae vae = load_vae_alone(paths, torch::kCPU, torch::kFloat32);
    if (vae.vae->has_encoder() != (plan.job == "create")) {
      throw Error(paths.vae_weights, "the VAE does not load as the set needs it",
                  "report this as a bug");
    }
  } else if (n.network == "S3FD") {
    face::load_s3fd(c.s3fd, torch::kCPU, torch::kFloat32);
  } else if (n.network == "DWPose") {
    face::load_dwpose(c.dwpose, torch::kCPU, torch::kFloat32);
  } else if (n.network == "BiSeNet") {
    face::load_bisenet(c.bisenet, torch::kCPU, torch::kFloat32);
  }
}

// "<parent>/.<name>.partial", removed when this goes out of scope unless it was published.
class StagingFolder {
 public:
  explicit StagingFolder(const fs::path& target)
      : target_(target),
        path_(target.parent_path() / ("." + target.filename().string() + ".partial")) {
    std::error_code ec;
    fs::remove_all(path_, ec);  // left by an interrupted export
    if (!fs::create_directory(path_, ec) || ec) {
      throw Error(target.string(),
                  "cannot create the staging folder " + path_.string() + ": " + ec.message(),
                  "check that the parent folder is writable");
    }
  }
  ~StagingFolder() {
    if (published_) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  StagingFolder(const StagingFolder&) = delete;
  StagingFolder& operator=(const StagingFolder&) = delete;

  const fs::path& path() const { return path_; }

  // Renames the staging folder to the target (which may be an empty folder: rename(2) replaces
  // an empty directory).
  void publish() {
    std::error_code ec;
    if (fs::exists(target_, ec) && !fs::is_empty(target_, ec)) {
      throw Error(target_.string(), "is no longer empty", "export into a new folder");
    }
    fs::rename(path_, target_, ec);
    if (ec) {
      throw Error(target_.string(), "cannot be written: " + ec.message(),
                  "check that the folder is writable");
    }
    published_ = true;
  }

 private:
  fs::path target_, path_;
  bool published_ = false;
};

}  // namespace

ExportPlan plan_export(const ExportOptions& options) {
  ExportPlan plan;
  plan.options = options;
  plan.job = options.job;
  if (plan.job != "render" && plan.job != "stream" && plan.job != "create") {
    throw Error("--for " + plan.job, "is not a set models export writes",
                "use render or stream (the UNet, the VAE decoder and the Whisper encoder) or "
                "create (avatar create: the whole VAE, S3FD, DWPose and BiSeNet)");
  }
  plan.precision =
      options.precision.empty() ? (plan.job == "create" ? "fp32" : "fp16") : options.precision;
  plan.dtype = parse_precision_name(plan.precision);
  try {
    plan.unet_version = parse_unet_version(options.version);
  } catch (const Error& e) {
    throw Error("--version " + options.version, e.problem(), e.fix());
  }
  plan.version = plan.unet_version == UNetVersion::V15 ? "v15" : "v1";
  check_out(options.out);  // new or empty, so never the folder exported from
  plan.networks = networks_for(plan);

  std::vector<std::string> missing;
  std::error_code ec;
  for (const NetworkExport& n : plan.networks) {
    for (const std::string* f : {&n.config_source, &n.weights_source}) {
      if (!f->empty() && !fs::is_regular_file(fs::path(options.models_dir) / *f, ec)) {
        missing.push_back(*f);
      }
    }
  }
  if (!missing.empty()) {
    std::string list;
    for (const std::string& m : missing) list += "\n  " + m;
    const std::string download = plan.job == "create" ? "musetalk models download --for create"
                                 : plan.version == "v15"
                                     ? "musetalk models download --for render"
                                     : "musetalk models download --only musetalk/musetalk.json "
                                       "musetalk/pytorch_model.bin";
    const std::string problem = std::to_string(missing.size()) + " file(s) `models export --for " +
                                plan.job + "` reads are missing:" + list;
    // Only the UNet missing, and the other version's there: the folder is a set for that version.
    const std::string unet_dir = plan.version == "v15" ? "musetalkV15/" : "musetalk/";
    const bool only_unet = std::all_of(missing.begin(), missing.end(), [&](const std::string& m) {
      return m.rfind(unet_dir, 0) == 0;
    });
    const auto other = only_other_unet_version(options.models_dir, plan.unet_version);
    if (plan.job != "create" && only_unet && other) {
      const std::string held = *other == UNetVersion::V15 ? "v15" : "v1";
      throw Error(options.models_dir,
                  problem + "\n  the folder holds the UNet of MuseTalk " + held + " only",
                  "export it with --version " + held + ", or add the " + plan.version +
                      " UNet as models/README.md says");
    }
    throw Error(options.models_dir, problem,
                "download them: " + download + " --models " + options.models_dir +
                    " (models/README.md), or give --models the folder that holds them");
  }
  if (plan.job == "create") {
    require_vae_encoder(ModelPaths::in(options.models_dir, plan.unet_version));
  }
  return plan;
}

ModelSetManifest export_model_set(const ExportPlan& plan, const Log& log) {
  const fs::path target = folder_path(plan.options.out);
  StagingFolder staging(target);
  ModelSetManifest manifest;
  manifest.job = plan.job;
  manifest.precision = plan.precision;
  manifest.version = plan.version;
  const std::string& from = plan.options.models_dir;
  for (const NetworkExport& n : plan.networks) {
    if (!n.config_source.empty()) {
      manifest.files.push_back(copy_config(n, from, staging.path(), log));
    }
    manifest.files.push_back(write_weights(n, from, staging.path(), log));
    try {
      load_back(plan, n, staging.path().string());
    } catch (const Error& e) {
      throw Error((fs::path(from) / n.weights_source).string(),
                  "the exported " + n.network + " does not load: " + e.problem(),
                  "check the folder exported from with `musetalk models check --verify --models " +
                      from + "`");
    }
    if (log) log(n.network + ": loads from the new files");
  }
  write_manifest(staging.path().string(), manifest);
  staging.publish();
  return manifest;
}

}  // namespace musetalk::model_export
