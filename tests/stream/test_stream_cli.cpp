// `musetalk stream` as a user runs it: a file through the live path into an MP4, Ctrl-C, and the
// errors that must come before any model loads.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <thread>

#include "cli_runner.h"
#include "mp4_probe.h"
#include "stream_test_support.h"
#include "test_support.h"
#include "tiny_model_set.h"
#include "wav_file.h"

extern char** environ;

namespace musetalk::test {
namespace {

namespace fs = std::filesystem;

std::string sample_args() {
  return "stream --avatar " + sample_dir() + "/avatar --models " + tiny_models_dir() +
         " --voice-out none --quiet";
}

TEST(StreamCli, AFileStreamsThroughTheLivePathIntoAnMp4InSync) {
  TempDir out;
  const std::string mp4 = out.file("stream.mp4");
  const RunResult r =
      run_tool(sample_args() + " --input " + sample_dir() + "/voice.wav --output " + mp4);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Mp4Info info = probe_mp4(mp4);
  EXPECT_EQ(info.video_packets, 80);  // 3.2 s at 25 fps
  EXPECT_EQ(info.width, 352);
  EXPECT_EQ(info.video_codec, "h264");
  EXPECT_EQ(info.audio_codec, "aac");
  EXPECT_NEAR(info.audio_seconds, info.video_seconds, 1.0 / 25);
  EXPECT_FALSE(fs::exists(mp4 + ".partial"));
}

// Ctrl-C while streaming: the MP4 is finished with what was streamed, and the tool exits 0.
TEST(StreamCli, CtrlCFinishesTheFileAndExitsCleanly) {
  TempDir out;
  const std::string mp4 = out.file("stopped.mp4");
  // 20 s of noise: longer than the test lets it run.
  const std::string wav = out.file("long.wav");
  std::vector<float> noise(16000 * 20);
  uint32_t x = 1;
  for (float& v : noise) {
    x = x * 1664525u + 1013904223u;
    v = static_cast<float>((x >> 16) % 8000) / 32768.0f - 0.12f;
  }
  write_wav(wav, noise, 16000);
  // Without --quiet: the tool says when it streams ("... Ctrl-C stops") and its latency.
  const std::string log = out.file("tool.log");
  const std::string command = std::string("exec ") + MUSETALK_TOOL + " stream --avatar " +
                              sample_dir() + "/avatar --models " + tiny_models_dir() +
                              " --voice-out none --input " + wav + " --output " + mp4 + " > " +
                              log + " 2>&1";
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ), 0);
  auto read_log = [&] {
    std::ifstream in(log);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (read_log().find("Ctrl-C stops") == std::string::npos) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << read_log();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::smatch latency;
  const std::string text = read_log();
  ASSERT_TRUE(std::regex_search(text, latency, std::regex("latency ([0-9]+) ms"))) << text;
  // Interrupt once a couple of seconds of frames have come out (each is due latency after its
  // audio).
  std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(latency[1]) + 2000));
  kill(pid, SIGINT);
  int status = 0;
  const auto start = std::chrono::steady_clock::now();
  waitpid(pid, &status, 0);
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(WIFEXITED(status)) << read_log();
  EXPECT_EQ(WEXITSTATUS(status), 0) << read_log();
  EXPECT_LT(waited, 15.0);  // it stops within a hop, not after the 20 s of input
  const Mp4Info info = probe_mp4(mp4);
  EXPECT_GT(info.video_packets, 0);
  EXPECT_LT(info.video_packets, 500);
  EXPECT_NEAR(info.audio_seconds, info.video_seconds, 1.0 / 25);
}

struct BadInput {
  std::string name;  // the ctest case's name
  std::string args;
  std::string says;
};

class StreamCliRefuses : public ::testing::TestWithParam<BadInput> {};

// Each of these fails before any model loads (the models folder does not even exist).
TEST_P(StreamCliRefuses, BeforeLoadingModels) {
  TempDir out;
  const std::string args = "stream --avatar " + sample_dir() + "/avatar --models " +
                           out.file("no-models") + " " + GetParam().args;
  auto expand = [&](std::string text) {
    for (size_t at; (at = text.find("{out}")) != std::string::npos;) {
      text.replace(at, 5, out.path().string());
    }
    for (size_t at; (at = text.find("{sample}")) != std::string::npos;) {
      text.replace(at, 8, sample_dir());
    }
    if (text.find("--voice-out") == std::string::npos) text += " --voice-out none";
    return text;
  };
  const RunResult r = run_tool(expand(args));
  EXPECT_NE(r.exit_code, 0) << r.output;
  const std::string says = expand(GetParam().says);
  EXPECT_NE(r.output.find(says.substr(0, says.find(" --voice-out"))), std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("loading models"), std::string::npos) << r.output;
}

INSTANTIATE_TEST_SUITE_P(
    StreamCli, StreamCliRefuses,
    ::testing::Values(
        BadInput{"MissingInputFile", "--input {out}/missing.wav --output {out}/a.mp4", "--input"},
        BadInput{"NotAnMp4Output", "--input {sample}/voice.wav --output {out}/a.avi",
                 "--output {out}/a.avi"},
        BadInput{"SameOutputTwice",
                 "--input {sample}/voice.wav --output {out}/a.mp4 --output {out}/a.mp4",
                 "given twice"},
        BadInput{"V4l2OnARegularFile",
                 "--input {sample}/voice.wav --output v4l2:{sample}/voice.wav",
                 "is not a video device"},
        BadInput{"MissingV4l2Device", "--input {sample}/voice.wav --output v4l2:/dev/video99",
                 "v4l2loopback"},
        BadInput{"LookaheadTooShort",
                 "--input {sample}/voice.wav --output {out}/a.mp4 --lookahead-ms 60",
                 "--lookahead-ms 60"},
        BadInput{"UnknownV4l2Format",
                 "--input {sample}/voice.wav --output {out}/a.mp4 --v4l2-format rgb",
                 "--v4l2-format rgb"},
        BadInput{"ZeroBatch", "--input {sample}/voice.wav --output {out}/a.mp4 --batch 0",
                 "--batch"},
        BadInput{"UnknownDevice", "--input {sample}/voice.wav --output {out}/a.mp4 --device tpu",
                 "--device tpu"},
        BadInput{"UnknownVoiceDevice",
                 "--input {sample}/voice.wav --output {out}/a.mp4 --voice-out nosuchdevice",
                 "nosuchdevice"},
        BadInput{"UnknownMicrophone", "--input mic:nosuchmic --output {out}/a.mp4", "nosuchmic"},
        BadInput{"LatencyBelowLookahead",
                 "--input {sample}/voice.wav --output {out}/a.mp4 --latency-ms 100",
                 "--latency-ms 100"},
        BadInput{"ContextBeyondWhispersInput",
                 "--input {sample}/voice.wav --output {out}/a.mp4 --context-ms 28000 "
                 "--lookahead-ms 3000",
                 "--context-ms 28000"},
        BadInput{"SameFileNamedTwoWays",
                 "--input {sample}/voice.wav --output {out}/a.mp4 --output {out}/./a.mp4",
                 "given twice"}),
    [](const ::testing::TestParamInfo<BadInput>& info) { return info.param.name; });

TEST(StreamCli, NoSoundServerIsAClearErrorNotACrash) {
  TempDir out;
  const RunResult r = run_tool("stream --avatar " + sample_dir() + "/avatar --models " +
                               out.file("none") + " --input mic --output " + out.file("a.mp4"));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_LT(r.exit_code, 128) << r.output;  // not a signal
  EXPECT_NE(r.output.find("input device"), std::string::npos) << r.output;
}

TEST(StreamCli, AWindowThatCannotOpenFailsBeforeLoadingModels) {
  TempDir out;
  setenv("SDL_VIDEODRIVER", "no-such-driver", 1);
  const RunResult r =
      run_tool("stream --avatar " + sample_dir() + "/avatar --models " + out.file("none") +
               " --input " + sample_dir() + "/voice.wav --voice-out none --output window");
  unsetenv("SDL_VIDEODRIVER");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("preview window"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("loading models"), std::string::npos) << r.output;
}

TEST(StreamCli, ListDevicesWorksWithoutASoundServer) {
  const RunResult r = run_tool("stream --list-devices");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(r.output.empty());
}

}  // namespace
}  // namespace musetalk::test
