// Loading a whole model set from a models folder (layout of models/README.md), and the device and
// precision options: what works, and the errors a user gets for what does not.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "files/error.h"
#include "files/file_source.h"
#include "files/json_file.h"
#include "files/model_layout.h"
#include "model/cpu_blas.h"
#include "model/face_generator.h"
#include "model/model_set.h"
#include "model/runtime_options.h"
#include "model/synthetic_weights.h"
#include "test_support.h"
#include "tiny_model_set.h"

namespace musetalk {
namespace {

namespace fs = std::filesystem;

TEST(ModelSet, LoadsATinySetAndGeneratesFaces) {
  test::TempDir tmp;
  test::write_tiny_model_set(tmp.path());
  ModelSet set = load_model_set(ModelPaths::in(tmp.path().string(), UNetVersion::V15), torch::kCPU,
                                torch::kFloat32);
  torch::InferenceMode inference;
  GeneratedFaces faces = generate_faces(set.unet, set.vae, set.vae_config.scaling_factor,
                                        torch::zeros({2, 50, 384}), torch::zeros({2, 8, 32, 32}));
  EXPECT_EQ(faces.latents.sizes().vec(), (std::vector<int64_t>{2, 4, 32, 32}));
  EXPECT_EQ(faces.bgr.sizes().vec(), (std::vector<int64_t>{2, 256, 256, 3}));
  EXPECT_EQ(faces.bgr.scalar_type(), torch::kUInt8);
}

TEST(ModelSet, KeepGoingIsAskedAfterEachNetworkAndFalseStopsTheLoad) {
  test::TempDir tmp;
  test::write_tiny_model_set(tmp.path());
  const ModelPaths paths = ModelPaths::in(tmp.path().string(), UNetVersion::V15);
  int asked = 0;
  load_model_set(paths, torch::kCPU, torch::kFloat32, [&] { return ++asked > 0; });
  EXPECT_EQ(asked, 3);  // after the UNet, the VAE and Whisper

  asked = 0;
  EXPECT_THROW(load_model_set(paths, torch::kCPU, torch::kFloat32, [&] { return ++asked < 2; }),
               LoadStopped);
  EXPECT_EQ(asked, 2);  // stopped after the VAE: Whisper never loaded
}

void expect_error_naming(const std::function<void()>& call, const std::string& what,
                         const std::string& also = "") {
  try {
    call();
    ADD_FAILURE() << "expected an error naming " << what;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    if (!also.empty()) {
      EXPECT_NE(std::string(e.what()).find(also), std::string::npos) << e.what();
    }
  }
}

// The Error call throws (an empty one, after a failure, when it throws none).
Error error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected an error";
  return Error("", "");
}

// Core errors name the setting ("device tpu"), never a command-line flag ("--device tpu"): the
// tool adds the flag (tools/render_inputs.cpp render_device). Compared exactly, so that a flag
// coming back would fail.
void expect_setting_error(const std::function<void()>& call, const std::string& input,
                          const std::string& problem_part = "") {
  const Error e = error_of(call);
  EXPECT_EQ(e.input(), input) << e.what();
  EXPECT_NE(e.problem().find(problem_part), std::string::npos) << e.what();
  EXPECT_EQ(e.fix().find("--"), std::string::npos) << "the fix names no flag either\n" << e.what();
}

TEST(ModelSet, MissingFolderNamesTheFirstMissingFile) {
  test::TempDir tmp;
  const auto paths = ModelPaths::in(tmp.file("models"), UNetVersion::V15);
  expect_error_naming([&] { load_model_set(paths, torch::kCPU, torch::kFloat32); },
                      "musetalkV15/musetalk.json", "models check");
}

TEST(ModelSet, AFolderWithTheOtherUNetVersionOnlySaysWhichVersionItServes) {
  test::TempDir tmp;
  test::write_tiny_model_set(tmp.path());  // v1.5's UNet only
  const Error e = error_of([&] {
    load_model_set(ModelPaths::in(tmp.path().string(), UNetVersion::V1), torch::kCPU,
                   torch::kFloat32);
  });
  EXPECT_NE(e.problem().find("holds the UNet of MuseTalk v15 only, not v1's"), std::string::npos)
      << e.what();
  EXPECT_NE(e.fix().find("--version v15"), std::string::npos) << e.what();
  EXPECT_NE(e.fix().find("an avatar made for v15"), std::string::npos) << e.what();

  // Both versions, v1.5's weights missing (a download that stopped): that file is missing, and
  // nothing says v1 would do.
  fs::create_directories(tmp.path() / "musetalk");
  fs::copy_file(tmp.path() / "musetalkV15/musetalk.json", tmp.path() / "musetalk/musetalk.json");
  fs::rename(tmp.path() / "musetalkV15/unet.pth", tmp.path() / "musetalk/pytorch_model.bin");
  const Error partial = error_of([&] {
    load_model_set(ModelPaths::in(tmp.path().string(), UNetVersion::V15), torch::kCPU,
                   torch::kFloat32);
  });
  EXPECT_EQ(partial.problem(), "model file not found") << partial.what();
  EXPECT_NE(partial.input().find("musetalkV15/unet.pth"), std::string::npos) << partial.what();
}

TEST(ModelSet, MismatchedWeightsNameTheFileAndTheKey) {
  test::TempDir tmp;
  test::write_tiny_model_set(tmp.path());
  // A VAE config that does not fit the weights: another channel list.
  nlohmann::ordered_json wider = test::manifest_config("vae_tiny");
  wider["block_out_channels"] = {32, 64, 64, 64};
  test::write_text(tmp.path() / "sd-vae/config.json", wider.dump());
  const auto paths = ModelPaths::in(tmp.path().string(), UNetVersion::V15);
  expect_error_naming([&] { load_model_set(paths, torch::kCPU, torch::kFloat32); },
                      "diffusion_pytorch_model.bin", "other shape");
}

TEST(ModelSet, BrokenConfigNamesTheConfigFile) {
  test::TempDir tmp;
  test::write_tiny_model_set(tmp.path());
  test::write_text(tmp.path() / "whisper/config.json", "{\"d_model\": ");
  const auto paths = ModelPaths::in(tmp.path().string(), UNetVersion::V15);
  expect_error_naming([&] { load_model_set(paths, torch::kCPU, torch::kFloat32); },
                      "whisper/config.json");
}

TEST(RuntimeOptions, DevicesAndPrecisions) {
  EXPECT_EQ(parse_device("cpu"), torch::Device(torch::kCPU));
  expect_setting_error([] { parse_device("tpu"); }, "device tpu", "unknown device");
  expect_setting_error([] { parse_device("cuda:x"); }, "device cuda:x", "not a device index");
  if (!torch::cuda::is_available()) {
    EXPECT_EQ(parse_device("auto"), torch::Device(torch::kCPU));
    expect_setting_error([] { parse_device("cuda:0"); }, "device cuda:0", "no CUDA device");
  }
  EXPECT_EQ(resolve_dtype(parse_precision("auto"), torch::kCPU), torch::kFloat32);
  EXPECT_EQ(resolve_dtype(parse_precision("auto"), torch::Device(torch::kCUDA, 0)),
            torch::kFloat16);
  EXPECT_EQ(resolve_dtype(parse_precision("bf16"), torch::kCPU), torch::kBFloat16);
  expect_setting_error([] { parse_precision("int4"); }, "precision int4", "unknown precision");
  expect_setting_error([] { resolve_dtype(Precision::FP16, torch::kCPU); }, "precision fp16");
  expect_setting_error([] { parse_unet_version("v2"); }, "version v2", "unknown model version");
}

TEST(ModelLayout, UnknownJobNamesTheSetting) {
  EXPECT_EQ(files::model_files_for("all").size(), files::model_files().size());
  expect_setting_error([] { files::model_files_for("painting"); }, "job painting",
                       "not a job this program knows");
}

// ./dev installs OpenBLAS; LibTorch must not be running on the reference BLAS.
TEST(RuntimeOptions, CpuBlasIsNotTheReferenceImplementation) {
  EXPECT_EQ(reference_blas_warning(), "") << "loaded BLAS: " << loaded_blas_library();
}

}  // namespace
}  // namespace musetalk
