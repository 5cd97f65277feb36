#pragma once
// The live path's audio features: each hop of frames gets Whisper hidden states from a sliding
// window of the stream's audio around it (left context, the frames' own windows, right
// context), encoded as one Whisper input zero-padded to the encoder's 30 s as
// WhisperFeatureExtractor pads every input (transformers
// models/whisper/feature_extraction_whisper.py), then cut into the per-frame windows exactly as
// offline (audio/audio_features.h frame_windows_at). The cost of a hop is one encoder pass
// whatever the stream's length; the mel filters are built once. LiveTalking (lipku/LiveTalking
// musetalk/musereal.py) re-encodes a short padded window per step the same way.

#include <torch/torch.h>

#include <cstdint>

#include "nn/whisper_encoder.h"
#include "stream/audio_ring.h"

namespace musetalk::stream {

struct SlidingFeatureSettings {
  int fps = 25;
  // Audio past a frame's own time that must have arrived before the frame is generated: the
  // frame's Whisper window reaches 120 ms ahead at 25 fps (the minimum), the rest is right
  // context for the encoder's attention.
  int lookahead_ms = 200;
  // Audio before a hop's first window given to the encoder as left context. The encoder's input
  // is 30 s whatever this is, so it costs nothing; the offline render's features are closer the
  // longer it is (bench/RESULTS.md, stream_bench --measure lookahead).
  int left_context_ms = 20000;
};

class SlidingFeatures {
 public:
  // Throws Error naming the setting when the window cannot fit the encoder's input (left context
  // + hop + lookahead over 30 s) or lookahead_ms is below what the frames' windows reach.
  SlidingFeatures(nn::WhisperEncoder& encoder, const SlidingFeatureSettings& settings,
                  int64_t max_hop_frames);

  // The least lookahead_ms at fps: how far past its own time a frame's window reaches.
  static int min_lookahead_ms(int fps);

  // Timeline position (samples) the input must reach before frames up to `last` (inclusive) can
  // be computed.
  int64_t samples_needed(int64_t last) const;

  // The per-frame windows (count, 10 * (layers + 1), d) of frames [first, first + count), in the
  // encoder's device and dtype, reading the audio from ring. end_samples: where the audio ends
  // (ring.end() once the input is closed; steps past it read as zero, as offline); pass
  // INT64_MAX while the input is open.
  torch::Tensor windows(const AudioRing& ring, int64_t first, int64_t count, int64_t end_samples);

  // The first timeline position a hop starting at frame `first` still reads (its left context).
  int64_t first_sample_read(int64_t first) const;

 private:
  nn::WhisperEncoder& encoder_;
  SlidingFeatureSettings settings_;
  int64_t left_steps_ = 0, lookahead_steps_ = 0;
  int64_t input_steps_ = 0;  // encoder positions: 30 s
  torch::Tensor mel_filters_, window_;
};

}  // namespace musetalk::stream
