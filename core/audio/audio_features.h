#pragma once
// MuseTalk v1.5's audio features (MuseTalk musetalk/utils/audio_processor.py
// AudioProcessor.get_whisper_chunk): Whisper hidden states of the whole clip, then one window of
// encoder steps per video frame as the UNet's audio prompt (before musetalk/models/unet.py
// PositionalEncoding).

#include <torch/torch.h>

#include "nn/whisper_encoder.h"

namespace musetalk::audio {

// samples: 1-D float32 mono audio at 16 kHz. Each 30 s segment is encoded on its own; the
// segments' hidden states are concatenated and trimmed to the audio's 20 ms steps.
// Returns (T_audio, encoder_layers + 1, d_model), T_audio = floor(L / 16000 * 50).
torch::Tensor whisper_hidden_states(nn::WhisperEncoder& encoder, const torch::Tensor& samples);

// hidden: whisper_hidden_states() of num_samples samples of audio. Returns
// (num_frames, 10 * hidden.size(1), d) with num_frames = floor(L / 16000 * fps): each frame's ten
// encoder steps, zeros outside the audio, tokens in time-major, layer-minor order. Every fps > 0
// gives one window per frame (the render accepts 1 to 240).
torch::Tensor frame_windows(const torch::Tensor& hidden, int64_t num_samples, int64_t fps);

// Frames [first, first + count) of the above, built from the hidden states they read only, so a
// long clip can be windowed batch by batch.
torch::Tensor frame_windows(const torch::Tensor& hidden, int64_t num_samples, int64_t fps,
                            int64_t first, int64_t count);

// The encoder steps [begin, end) that the windows of frames [first, first + count) read, in the
// stream's step numbering (50 steps per second from the first sample); begin may be negative.
struct StepRange {
  int64_t begin = 0, end = 0;
};
StepRange window_steps(int64_t fps, int64_t first, int64_t count);

// Frames [first, first + count) of a stream whose hidden states are known for steps
// [first_step, first_step + hidden.size(0)): hidden row k is stream step first_step + k. Steps
// outside that span, or at or after end_step (the end of the audio), read as zero. The offline
// frame_windows() above is this with first_step 0 and end_step hidden.size(0); a sliding window
// of states passes where it starts.
torch::Tensor frame_windows_at(const torch::Tensor& hidden, int64_t first_step, int64_t end_step,
                               int64_t fps, int64_t first, int64_t count);

// Encoder steps per second (Whisper's 20 ms steps) and samples per step at 16 kHz.
constexpr int64_t kEncoderStepsPerSecond = 50;
constexpr int64_t kSamplesPerStep = 320;

// floor(num_samples / 16000 * fps), evaluated in double as the reference does.
int64_t frame_count(int64_t num_samples, int64_t fps);

}  // namespace musetalk::audio
