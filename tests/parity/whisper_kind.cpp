// Parity kind "whisper": for every audio case (manifest "io" is a list), the log-mel of segment
// 0, the encoder's hidden states of segment 0 and chosen rows of MuseTalk's per-frame windows,
// with the encoder on the case's device and dtype.

#include "audio/audio_features.h"
#include "audio/log_mel.h"
#include "files/file_source.h"
#include "nn/whisper_encoder.h"
#include "parity/parity_case.h"
#include "torch_io/strict_load.h"

namespace musetalk::parity {
namespace {

using torch::indexing::Slice;

// The video frame rate the case was made for: "fps" in the safetensors header's __metadata__
// (stored as a string), 25 when absent.
int64_t io_fps(const std::string& path) {
  files::FileSource source(path);
  const std::vector<uint8_t> size_bytes = source.read(0, 8);
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | size_bytes[i];
  const std::vector<uint8_t> header = source.read(8, header_size);
  const nlohmann::ordered_json json = files::parse_json(std::string(header.begin(), header.end()));
  const nlohmann::ordered_json* metadata = files::json_find(json, "__metadata__");
  const nlohmann::ordered_json* fps = metadata ? files::json_find(*metadata, "fps") : nullptr;
  return fps ? std::stoll(fps->get<std::string>()) : 25;
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

}  // namespace
}  // namespace musetalk::parity
