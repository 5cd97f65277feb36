// Parity kind "whisper": for every audio case (manifest "io" is a list), the log-mel of segment
// 0, the encoder's hidden states of segment 0 and chosen rows of MuseTalk's per-frame windows.

#include "audio/audio_features.h"
#include "audio/log_mel.h"
#include "files/file_source.h"
#include "model/strict_load.h"
#include "nn/whisper_encoder.h"
#include "parity/parity_case.h"

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
  const files::Json json = files::Json::parse(std::string(header.begin(), header.end()));
  const files::Json* metadata = json.find("__metadata__");
  const files::Json* fps = metadata ? metadata->find("fps") : nullptr;
  return fps ? std::stoll(fps->as_string()) : 25;
}

// "io" lists one file per audio case; a single name is accepted too.
std::vector<std::string> io_files(const files::Json& io) {
  if (io.is_string()) return {io.as_string()};
  std::vector<std::string> out;
  for (const files::Json& f : io.as_array()) out.push_back(f.as_string());
  return out;
}

void run_whisper(Case& c) {
  const nn::WhisperConfig config = nn::WhisperConfig::from_json(c.config(), c.name());
  nn::WhisperEncoder encoder(config);
  load_strict(*encoder, c.weights(), c.name(), nn::whisper_name_mapper());
  encoder->eval();

  audio::LogMelOptions mel_options;
  mel_options.n_mels = config.num_mel_bins;
  for (const std::string& file : io_files(c.manifest().at("io"))) {
    const StateDict io = c.io(file);
    const torch::Tensor& samples = io["samples"];

    const torch::Tensor mel = audio::log_mel_segments(samples, mel_options);
    const torch::Tensor& mel0 = io["mel0"];
    c.check("mel0", mel[0].index({Slice(), Slice(0, mel0.size(1))}), mel0);

    const torch::Tensor& hidden0 = io["hidden0_first200"];
    c.check("hidden0_first200",
            encoder->forward(mel.narrow(0, 0, 1))[0].narrow(0, 0, hidden0.size(0)), hidden0);

    const torch::Tensor hidden = audio::whisper_hidden_states(encoder, samples);
    const torch::Tensor windows =
        audio::frame_windows(hidden, samples.size(0), io_fps(c.path_in_folder(file)));
    c.check("chunks", windows.index_select(0, io["chunk_index"]), io["chunks"]);
  }
}

REGISTER_PARITY_KIND("whisper", run_whisper);

}  // namespace
}  // namespace musetalk::parity
