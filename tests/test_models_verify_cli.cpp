// `musetalk models check --verify` means "loads as render would": a models folder whose
// musetalk.json does not fit its unet.pth fails the check with the message render stops with.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "cli_runner.h"
#include "test_support.h"
#include "tiny_model_set.h"

namespace musetalk {
namespace {

namespace fs = std::filesystem;

// The tiny model set with every file `models check --for render` asks for.
void write_render_models(const fs::path& dir) {
  test::write_tiny_model_set(dir);
  test::write_text(dir / "whisper/preprocessor_config.json", R"({"feature_size": 80})");
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The first "error: ..." message of a run's output and its fix line.
std::string error_message(const std::string& output) {
  const size_t at = output.find("error: ");
  if (at == std::string::npos) return "";
  const size_t fix = output.find("\n  fix: ", at);
  const size_t end = fix == std::string::npos ? std::string::npos : output.find('\n', fix + 1);
  return output.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

TEST(ModelsVerify, HealthyModelSetLoadsAsRenderLoadsIt) {
  test::TempDir dir;
  write_render_models(dir.path());
  const test::RunResult r =
      test::run_tool("models check --for render --verify --models " + dir.path().string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(std::regex_search(r.output, std::regex("loads +UNet v1.5")), true) << r.output;
  EXPECT_EQ(std::regex_search(r.output, std::regex("loads +VAE")), true) << r.output;
  EXPECT_EQ(std::regex_search(r.output, std::regex("loads +Whisper")), true) << r.output;
}

TEST(ModelsVerify, ConfigThatDoesNotFitTheWeightsFailsWithRendersMessage) {
  test::TempDir dir;
  write_render_models(dir.path());
  // musetalk.json of a UNet with one layer per block, beside weights with two.
  const fs::path config = dir.path() / "musetalkV15/musetalk.json";
  const std::string text = read_text(config);
  const std::string changed =
      std::regex_replace(text, std::regex("\"layers_per_block\": *2"), "\"layers_per_block\": 1");
  ASSERT_NE(changed, text);
  test::write_text(config, changed);

  const test::RunResult check =
      test::run_tool("models check --for render --verify --models " + dir.path().string());
  EXPECT_NE(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("DOES NOT LOAD"), std::string::npos) << check.output;

  test::TempDir out;
  const test::RunResult render =
      test::run_tool("render --quiet --device cpu --models " + dir.path().string() + " --avatar " +
                     test::media_dir() + "/avatars/yongen_v15 --audio " + test::media_dir() +
                     "/hunt/streamed_wav_header.wav --out " + out.file("talk.mp4"));
  ASSERT_NE(render.exit_code, 0) << render.output;
  const std::string message = error_message(render.output);
  EXPECT_NE(message.find("unet.pth: weights do not match the model"), std::string::npos)
      << render.output;
  EXPECT_NE(check.output.find(message), std::string::npos)
      << "models check must give render's message:\n"
      << message << "\n---\n"
      << check.output;
}

TEST(ModelsVerify, ANetworkFailingInsideLibTorchIsReportedAndTheCheckGoesOn) {
  test::TempDir dir;
  write_render_models(dir.path());
  // A UNet whose cross-attention projections would need 2^52 x 32 floats: LibTorch's allocator
  // refuses (a c10::Error, not a musetalk::Error) while the network is built.
  const fs::path config = dir.path() / "musetalkV15/musetalk.json";
  const std::string text = read_text(config);
  const std::string changed =
      std::regex_replace(text, std::regex("\"cross_attention_dim\": *[0-9]+"),
                         "\"cross_attention_dim\": 4503599627370496");
  ASSERT_NE(changed, text);
  test::write_text(config, changed);

  const test::RunResult r =
      test::run_tool("models check --for render --verify --models " + dir.path().string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("DOES NOT LOAD  UNet v1.5"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("error: out of memory: "), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("--batch"), std::string::npos) << "render's options\n" << r.output;
  EXPECT_EQ(r.output.find("frame #"), std::string::npos) << "no backtrace\n" << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex("loads +VAE"))) << "the check went on\n"
                                                                     << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex("loads +Whisper"))) << r.output;
  EXPECT_NE(r.output.find("1 network(s) do not load"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace musetalk
