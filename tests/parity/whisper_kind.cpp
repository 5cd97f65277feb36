// Parity kind "whisper": for every audio case (manifest "io" is a list), the log-mel of segment
// 0, the encoder's hidden states of segment 0 and chosen rows of MuseTalk's per-frame windows,
// with the encoder on the case's device and dtype.

#include <gtest/gtest.h>

#include <charconv>
#include <cstdint>
#include <fstream>
#include <string>

#include "audio/audio_features.h"
#include "audio/log_mel.h"
#include "files/checkpoint.h"
#include "files/error.h"
#include "nn/whisper_encoder.h"
#include "parity/parity_case.h"
#include "test_support.h"
#include "torch_io/strict_load.h"

namespace musetalk::parity {
namespace {

using torch::indexing::Slice;

// The video frame rate the case was made for: "fps" in the io file's safetensors __metadata__
// (metadata values are strings), 25 when absent. Throws Error when it is not a positive integer.
int64_t io_fps(const std::string& path) {
  files::ReadOptions header_only;
  header_only.load_data = false;
  const files::Checkpoint io = files::read_checkpoint(path, header_only);
  const auto fps = io.metadata.find("fps");
  if (fps == io.metadata.end()) return 25;
  const std::string& text = fps->second;
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value <= 0) {
    throw Error(path, "__metadata__ \"fps\" is \"" + text + "\", not a positive integer");
  }
  return value;
}

void run_whisper(Case& c) {
  const nn::WhisperConfig config = nn::WhisperConfig::from_json(c.config(), c.name());
  nn::WhisperEncoder encoder(config);
  load_strict(*encoder, c.weights(), c.name(), nn::whisper_name_mapper());
  c.make_ready(*encoder);

  audio::LogMelOptions mel_options;
  mel_options.n_mels = config.num_mel_bins;
  for (const std::string& file : c.io_files()) {
    const std::string io_case = c.io_case(file);
    const StateDict io = c.io(file);
    const torch::Tensor& samples = io["samples"];

    // As whisper_hidden_states computes it: float32 on the encoder's device.
    const torch::Tensor mel =
        audio::log_mel_segments(samples.to(c.precision().device, torch::kFloat32), mel_options);
    const torch::Tensor& mel0 = io["mel0"];
    c.check("mel0", mel[0].index({Slice(), Slice(0, mel0.size(1))}), mel0, io_case);

    const torch::Tensor& hidden0 = io["hidden0_first200"];
    c.check("hidden0_first200",
            encoder->forward(c.input(mel.narrow(0, 0, 1)))[0].narrow(0, 0, hidden0.size(0)),
            hidden0, io_case);

    const torch::Tensor hidden = audio::whisper_hidden_states(encoder, samples);
    const torch::Tensor windows =
        audio::frame_windows(hidden, samples.size(0), io_fps(c.path_in_folder(file)));
    c.check("chunks", windows.index_select(0, c.input(io["chunk_index"])), io["chunks"], io_case);
  }
}

REGISTER_PARITY_KIND("whisper", run_whisper, /*runs_networks=*/true, /*waivers=*/{},
                     /*full_precision=*/
                     {{"mel0",
                       "the log-mel runs in float32 whatever the encoder's dtype "
                       "(core/audio/audio_features.cpp whisper_hidden_states)"}});

// A safetensors file with one float32 tensor and the __metadata__ object metadata_json, written
// byte by byte because the project's writer writes no metadata.
void write_with_metadata(const std::string& path, const std::string& metadata_json) {
  const std::string header = R"({"__metadata__":)" + metadata_json +
                             R"(,"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  std::string bytes;
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  bytes += header;
  bytes.append(4, '\0');
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(WhisperParity, FpsComesFromTheIoMetadata) {
  test::TempDir dir;
  write_with_metadata(dir.file("30.safetensors"), R"({"fps":"30","segments":"1"})");
  EXPECT_EQ(io_fps(dir.file("30.safetensors")), 30);
  write_with_metadata(dir.file("none.safetensors"), R"({"segments":"1"})");
  EXPECT_EQ(io_fps(dir.file("none.safetensors")), 25);
  write_with_metadata(dir.file("bad.safetensors"), R"({"fps":"25.5"})");
  EXPECT_THROW(io_fps(dir.file("bad.safetensors")), Error);
}

}  // namespace
}  // namespace musetalk::parity
