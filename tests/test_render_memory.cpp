// `musetalk render`'s memory does not grow with the clip's length: the peak resident set of a
// render of a 4 minute clip stays within a few MiB of a 1 minute clip's. Holding the clip would
// add 64 KB/s of samples and 384 KB/s of Whisper states (about 77 MiB for the 3 extra minutes),
// and the whole clip's log-mel more while it is encoded. Both clips span several 30 s segments, so
// both hold the same bounded working set of segments; --fps 1 and --batch 1 keep the render
// short and the baseline small and steady (bench/RESULTS.md has the figures).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "test_support.h"
#include "tiny_models_suite.h"
#include "wav_file.h"

namespace musetalk {
namespace {

const std::string kAvatar = test::media_dir() + "/avatars/yongen_v15";

// A 16 kHz WAV of a tone in noise. The samples are freed before the tool is forked, so that
// they do not count in the child's peak.
void write_tone_in_noise(const std::string& path, int seconds) {
  constexpr int kRate = 16000;
  std::mt19937 random(9);
  std::uniform_int_distribution<int> noise(-2000, 2000);
  std::vector<float> samples(static_cast<size_t>(seconds) * kRate);
  for (size_t i = 0; i < samples.size(); ++i) {
    samples[i] =
        static_cast<float>(8000 * std::sin(0.05 * static_cast<double>(i)) + noise(random)) /
        32768.0f;
  }
  test::write_wav(path, samples, kRate);
}

struct MeasuredRun {
  int exit_code = -1;
  long peak_kib = 0;  // ru_maxrss of the child
};

// Runs the tool with args in a child process and returns its exit code and peak RSS.
MeasuredRun run_measured(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  std::string tool = MUSETALK_TOOL;
  argv.push_back(tool.data());
  std::vector<std::string> copy = args;
  for (std::string& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    execv(tool.c_str(), argv.data());
    _exit(127);
  }
  MeasuredRun run;
  int status = 0;
  rusage usage{};
  if (pid > 0 && wait4(pid, &status, 0, &usage) == pid) {
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.peak_kib = usage.ru_maxrss;
  }
  return run;
}

class RenderMemory : public test::TinyModelsSuite {
 protected:
  MeasuredRun render(int seconds) {
    const std::string wav = dir_.file(std::to_string(seconds) + "s.wav");
    const std::string out = dir_.file(std::to_string(seconds) + "s.mp4");
    write_tone_in_noise(wav, seconds);
    return run_measured({"render", "--models", models_dir(), "--device", "cpu", "--quiet", "--fps",
                         "1", "--batch", "1", "--avatar", kAvatar, "--audio", wav, "--out", out});
  }
  test::TempDir dir_;
};

TEST_F(RenderMemory, PeakDoesNotGrowWithTheClipsLength) {
  const MeasuredRun short_clip = render(60);
  ASSERT_EQ(short_clip.exit_code, 0);
  const MeasuredRun long_clip = render(240);
  ASSERT_EQ(long_clip.exit_code, 0);
  const double growth_mib = (long_clip.peak_kib - short_clip.peak_kib) / 1024.0;
  std::printf("peak RSS: 60 s clip %.1f MiB, 240 s clip %.1f MiB (%+.1f MiB)\n",
              short_clip.peak_kib / 1024.0, long_clip.peak_kib / 1024.0, growth_mib);
  EXPECT_LT(growth_mib, 8.0) << "memory grows with the clip's length";
}

}  // namespace
}  // namespace musetalk
