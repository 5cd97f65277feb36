// `musetalk models download` run as a user runs it, against a local HTTP server.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_runner.h"
#include "files/model_layout.h"
#include "local_http_server.h"
#include "test_support.h"

namespace musetalk {
namespace {

namespace fs = std::filesystem;
using test::run_tool;
using test::RunResult;

std::string read_file(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every model file served from the local hub: configs as small JSON (plain files), weights as
// the fixture checkpoint (LFS files, through the redirect).
void serve_model_set(test::LocalHttpServer& server) {
  const std::string ckpt = read_file(test::fixtures_dir() + "/ckpt_zip.pth");
  ASSERT_FALSE(ckpt.empty());
  for (const files::ModelFile& f : files::model_files()) {
    const std::string path = "/" + f.repo + "/resolve/main/" + f.repo_path;
    if (f.is_json) {
      server.add(path, R"({"name": ")" + f.path + "\"}", false);
    } else {
      server.add(path, ckpt, true);
    }
  }
}

TEST(ModelsDownload, FullSetLandsInTheLayoutAndCheckPasses) {
  test::TempDir tmp;
  test::LocalHttpServer server;
  serve_model_set(server);
  RunResult r =
      run_tool("models download --models " + tmp.path().string() + " --endpoint " + server.url());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const files::ModelFile& f : files::model_files()) {
    EXPECT_TRUE(fs::is_regular_file(tmp.path() / f.path)) << f.path;
    EXPECT_FALSE(fs::exists(tmp.path() / (f.path + ".incomplete"))) << f.path;
  }
  RunResult check = run_tool("models check --models " + tmp.path().string());
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_EQ(check.output.find("missing"), std::string::npos) << check.output;

  // A second run fetches nothing.
  RunResult again =
      run_tool("models download --models " + tmp.path().string() + " --endpoint " + server.url());
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("0 downloaded"), std::string::npos) << again.output;
}

TEST(ModelsDownload, OnlyNamedFilesFromHfEndpoint) {
  test::TempDir tmp;
  test::LocalHttpServer server;
  serve_model_set(server);
  ::setenv("HF_ENDPOINT", server.url().c_str(), 1);  // inherited by the tool
  RunResult r =
      run_tool("models download --only whisper/config.json --models " + tmp.path().string());
  ::unsetenv("HF_ENDPOINT");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::is_regular_file(tmp.path() / "whisper/config.json"));
  EXPECT_FALSE(fs::exists(tmp.path() / "musetalkV15/unet.pth"));
}

TEST(ModelsDownload, ForRenderFetchesWhatRenderNeedsAndCheckForRenderPasses) {
  test::TempDir tmp;
  test::LocalHttpServer server;
  serve_model_set(server);
  const std::string dir = " --models " + tmp.path().string();
  RunResult r = run_tool("models download --for render --endpoint " + server.url() + dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const files::ModelFile& f : files::model_files()) {
    EXPECT_EQ(fs::is_regular_file(tmp.path() / f.path), f.render) << f.path;
  }
  EXPECT_TRUE(fs::is_regular_file(tmp.path() / "musetalkV15/unet.pth"));
  EXPECT_FALSE(fs::exists(tmp.path() / "s3fd"));
  EXPECT_EQ(run_tool("models check --for render" + dir).exit_code, 0);
  EXPECT_EQ(run_tool("models check" + dir).exit_code, 2) << "avatar creation's files are missing";
  // The library names the setting ("job painting"); the tool names its option.
  for (const char* command : {"models check", "models download"}) {
    RunResult bad = run_tool(std::string(command) + " --for painting" + dir);
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(bad.output.find("error: --for painting: "), std::string::npos) << bad.output;
  }
}

TEST(ModelsDownload, InterruptedRunResumesWithRange) {
  test::TempDir tmp;
  test::LocalHttpServer server;
  serve_model_set(server);
  const std::string path = "/TMElyralab/MuseTalk/resolve/main/musetalkV15/unet.pth";
  const size_t half = read_file(test::fixtures_dir() + "/ckpt_zip.pth").size() / 2;
  server.drop_next_get_after(path, half);
  const std::string args = "models download --only musetalkV15/unet.pth --models " +
                           tmp.path().string() + " --endpoint " + server.url();
  RunResult first = run_tool(args);
  EXPECT_EQ(first.exit_code, 1) << first.output;
  EXPECT_NE(first.output.find(server.url() + path), std::string::npos) << first.output;
  const auto partial = fs::file_size(tmp.path() / "musetalkV15/unet.pth.incomplete");
  EXPECT_EQ(partial, half);
  RunResult second = run_tool(args);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(read_file((tmp.path() / "musetalkV15/unet.pth").string()),
            read_file(test::fixtures_dir() + "/ckpt_zip.pth"));
  const auto requests = server.requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests.back().range, "bytes=" + std::to_string(partial) + "-");
}

TEST(ModelsDownload, UnknownOnlyPathIsAnError) {
  test::TempDir tmp;
  RunResult r = run_tool("models download --only nope.bin --models " + tmp.path().string() +
                         " --endpoint http://127.0.0.1:9");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("nope.bin"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("musetalkV15/unet.pth"), std::string::npos) << r.output;
}

TEST(ModelsDownload, CorruptedFileNamesItsUrlAndLeavesNoFile) {
  test::TempDir tmp;
  test::LocalHttpServer server;
  serve_model_set(server);
  const std::string path = "/openai/whisper-tiny/resolve/main/pytorch_model.bin";
  std::string bytes = read_file(test::fixtures_dir() + "/ckpt_zip.pth");
  bytes[bytes.size() / 2] ^= 1;
  server.corrupt(path, bytes);
  RunResult r = run_tool("models download --only whisper/pytorch_model.bin --models " +
                         tmp.path().string() + " --endpoint " + server.url());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(server.url() + path), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("checksum mismatch"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(tmp.path() / "whisper/pytorch_model.bin"));
}

TEST(ModelsDownload, UnreachableEndpointNamesTheUrlAndTheFix) {
  test::TempDir tmp;
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(test::closed_loopback_port());
  RunResult r = run_tool("models download --only sd-vae/config.json --models " +
                         tmp.path().string() + " --endpoint " + endpoint);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(endpoint + "/stabilityai/sd-vae-ft-mse/resolve/main/config.json"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("HF_ENDPOINT"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace musetalk
