// `musetalk models check` run as a user runs it: the real binary, real folders.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli_runner.h"
#include "files/model_layout.h"
#include "test_support.h"

namespace musetalk {
namespace {

namespace fs = std::filesystem;

using test::run_tool;
using test::RunResult;

TEST(ModelsCheck, EmptyFolderListsEveryFileWithTheHintAndExits2) {
  test::TempDir tmp;
  RunResult r = run_tool("models check --models " + tmp.path().string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  for (const files::ModelFile& f : files::model_files()) {
    EXPECT_NE(r.output.find("missing  " + f.path), std::string::npos) << f.path << "\n" << r.output;
    EXPECT_NE(r.output.find(f.repo), std::string::npos) << f.repo;
  }
  EXPECT_NE(r.output.find("models/README.md"), std::string::npos);
}

TEST(ModelsCheck, PresentFilesShowContainerAndWhetherTheyOpen) {
  test::TempDir tmp;
  const fs::path dir = tmp.path();
  fs::create_directories(dir / "musetalkV15");
  fs::create_directories(dir / "face-parse-bisent");
  fs::create_directories(dir / "sd-vae");
  fs::copy_file(test::fixtures_dir() + "/ckpt_zip.pth", dir / "musetalkV15/unet.pth");
  fs::copy_file(test::fixtures_dir() + "/ckpt_legacy.pth",
                dir / "face-parse-bisent/79999_iter.pth");
  { std::ofstream(dir / "musetalkV15/musetalk.json") << R"({"in_channels": 8})"; }
  { std::ofstream(dir / "sd-vae/config.json") << "{ not json"; }
  RunResult r = run_tool("models check --models " + dir.string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("torch zip"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("torch legacy"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("opens (9 tensors)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("DOES NOT OPEN"), std::string::npos) << "the broken config.json\n"
                                                               << r.output;
}

// What a bug report needs: the version, LibTorch, the devices and the BLAS actually loaded.
TEST(Version, NamesTheVersionLibTorchDevicesAndBlas) {
  RunResult r = run_tool("--version");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.rfind("musetalk " MUSETALK_VERSION "\n", 0), 0u) << r.output;
  for (const char* line : {"\nLibTorch: ", "\nCPU: ", "\nCUDA: ", "\nBLAS: "}) {
    EXPECT_NE(r.output.find(line), std::string::npos) << line << "\n" << r.output;
  }
  EXPECT_EQ(r.output.find("BLAS: not found"), std::string::npos) << r.output;
}

TEST(ModelsCheck, UnknownSubcommandFails) {
  RunResult r = run_tool("models frobnicate");
  EXPECT_NE(r.exit_code, 0) << r.output;
}

}  // namespace
}  // namespace musetalk
