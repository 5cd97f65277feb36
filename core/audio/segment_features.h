#pragma once
// The offline audio features (audio_features.h: whisper_hidden_states + frame_windows) computed
// as the samples arrive, in memory that does not grow with the clip. The reference encodes each
// 30 s segment of raw audio on its own (MuseTalk musetalk/utils/audio_processor.py
// AudioProcessor.get_audio_feature cuts the audio into 30 s pieces; each is padded to 30 s and
// gets its own log-mel and dynamic-range clamp, log_mel.h), so a segment's hidden states are
// final as soon as its 30 s of samples are in, and the last, shorter one once the audio ends.
// The stream keeps the samples of the segment being filled and the hidden states of the
// segments whose steps frames still read: a frame window straddling a segment boundary reads
// the last steps of one segment and the first of the next. Its windows equal the offline ones
// bit for bit.
//
// This is the render's feature source. A live input, which cannot wait for 30 s of audio, uses
// a sliding window instead (stream/), whose features differ from these.

#include <torch/torch.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "audio/log_mel.h"
#include "nn/whisper_encoder.h"

namespace musetalk::audio {

class SegmentFeatureStream {
 public:
  // encoder: the Whisper encoder (its device and dtype are the features'); fps: the video's
  // frame rate (> 0). The encoder must outlive the stream. Not thread-safe: one thread pushes
  // and takes windows.
  SegmentFeatureStream(nn::WhisperEncoder& encoder, int64_t fps);

  // Appends n samples of 16 kHz mono float audio; each 30 s segment they complete is encoded
  // here (whisper-tiny: about 0.6 s per segment on a CPU core). Not after finish().
  void push(const float* samples, size_t n);
  // The audio has ended: encodes the last, partial segment. frame_count() is then final.
  void finish();

  bool finished() const { return finished_; }
  int64_t samples() const { return samples_; }  // pushed so far
  // frame_count(samples(), fps): the clip's frames once finished, a lower bound before.
  int64_t frame_count() const;
  // Frames [0, frames_ready()) have every step their windows read: all frames once finished.
  int64_t frames_ready() const { return ready_; }

  // The windows of frames [first, first + count): (count, 10 * (layers + 1), d), equal to
  // frame_windows(whisper_hidden_states(encoder, all samples), L, fps, first, count). Frames
  // are taken in order: first must not lie before the previous call's first, and
  // first + count <= frames_ready(). Hidden states no later frame reads are released.
  torch::Tensor windows(int64_t first, int64_t count);

  // Encoder steps whose hidden states are held now (for tests of boundedness).
  int64_t steps_held() const;

 private:
  struct Segment {
    int64_t first_step = 0;  // stream step of row 0: the steps of the segments before it
    torch::Tensor hidden;    // (steps per segment, layers + 1, d)
  };

  // The buffered samples as one segment; only_segment: the clip has no other.
  void encode_pending(bool only_segment);
  void update_ready();
  int64_t end_step() const;  // first step at or after the audio's end (known once finished)

  nn::WhisperEncoder& encoder_;
  int64_t fps_;
  LogMelOptions mel_options_;
  LogMelTables mel_tables_;     // on the encoder's device
  int64_t segment_samples_;     // 30 s at 16 kHz
  torch::Tensor no_steps_;      // (0, layers + 1, d): the states of frames that read no audio
  std::vector<float> pending_;  // samples of the segment being filled
  std::deque<Segment> segments_;
  int64_t encoded_steps_ = 0;  // steps of the segments encoded so far
  int64_t samples_ = 0;
  int64_t ready_ = 0;
  int64_t next_first_ = 0;  // the first frame windows() may still be asked for
  bool finished_ = false;
};

}  // namespace musetalk::audio
