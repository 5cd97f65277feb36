#include "audio/segment_features.h"

#include <algorithm>

#include "audio/audio_features.h"
#include "audio/log_mel.h"

namespace musetalk::audio {

SegmentFeatureStream::SegmentFeatureStream(nn::WhisperEncoder& encoder, int64_t fps)
    : encoder_(encoder), fps_(fps) {
  TORCH_CHECK(fps > 0, "SegmentFeatureStream: fps must be positive, got ", fps);
  const nn::WhisperConfig& config = encoder_->config();
  const torch::Tensor weight = encoder_->parameters().front();
  mel_options_.n_mels = config.num_mel_bins;
  mel_tables_ = LogMelTables::make(mel_options_, weight.device());
  segment_samples_ = mel_options_.segment_samples;
  pending_.reserve(static_cast<size_t>(segment_samples_));
  no_steps_ = torch::zeros({0, config.encoder_layers + 1, config.d_model}, weight.options());
}

void SegmentFeatureStream::push(const float* samples, size_t n) {
  TORCH_CHECK(!finished_, "SegmentFeatureStream: push after finish");
  while (n > 0) {
    // A full first segment waits for the next sample: only then is it known not to be the
    // clip's only one (encode_pending says why that matters).
    if (pending_.size() == static_cast<size_t>(segment_samples_)) encode_pending(false);
    const size_t take = std::min(n, static_cast<size_t>(segment_samples_) - pending_.size());
    pending_.insert(pending_.end(), samples, samples + take);
    samples += take;
    n -= take;
    samples_ += static_cast<int64_t>(take);
    if (pending_.size() == static_cast<size_t>(segment_samples_) && !segments_.empty())
      encode_pending(false);
  }
  update_ready();
}

void SegmentFeatureStream::finish() {
  if (finished_) return;
  // The last segment is the rest of the samples, zero-padded to 30 s by the log-mel. A clip of
  // whole segments has no rest; an empty clip has no frames, so nothing to encode either.
  if (!pending_.empty()) encode_pending(/*only_segment=*/encoded_steps_ == 0);
  finished_ = true;
  pending_ = {};
  update_ready();
}

void SegmentFeatureStream::encode_pending(bool only_segment) {
  // As whisper_hidden_states() does for each segment of the whole clip: the log-mel in float32
  // on the encoder's device, the encoder in its own dtype. The offline log-mel of a clip of two
  // or more segments is one batch, and a row of a batch of two or more has the same bits
  // whatever the batch's size; a batch of one goes another way through LibTorch's matmul (its
  // power spectrum has another layout) and differs in the last bits. So a segment of a longer
  // clip is computed in a batch of two, with a silent second segment that is dropped, and the
  // only segment of a clip under 30 s alone, each exactly as in the offline batch.
  torch::InferenceMode inference;
  const torch::Tensor weight = encoder_->parameters().front();
  const auto count = static_cast<int64_t>(pending_.size());
  const int64_t batch = only_segment ? 1 : 2;
  torch::Tensor samples =
      torch::zeros({only_segment ? count : batch * segment_samples_},
                   torch::TensorOptions().dtype(torch::kFloat32).device(weight.device()));
  samples.narrow(0, 0, count).copy_(torch::from_blob(pending_.data(), {count}, torch::kFloat32));
  const torch::Tensor mel = log_mel_segments(samples, mel_options_, mel_tables_).narrow(0, 0, 1);
  torch::Tensor hidden = encoder_->forward(mel.to(weight.scalar_type())).squeeze(0);
  segments_.push_back({encoded_steps_, hidden});
  encoded_steps_ += hidden.size(0);
  pending_.clear();
}

int64_t SegmentFeatureStream::frame_count() const {
  return audio::frame_count(samples_, fps_);
}

int64_t SegmentFeatureStream::end_step() const {
  // whisper_hidden_states() trims the encoded steps to the audio's floor(L / 16000 * 50).
  if (!finished_) return encoded_steps_;
  return std::min(encoded_steps_, audio::frame_count(samples_, kEncoderStepsPerSecond));
}

void SegmentFeatureStream::update_ready() {
  const int64_t frames = frame_count();
  if (finished_) {
    ready_ = frames;
    return;
  }
  // A frame is ready when every step its window reads is encoded; window ends grow with the
  // frame, so the ready frames are a prefix.
  while (ready_ < frames && window_steps(fps_, ready_, 1).end <= encoded_steps_) ++ready_;
}

torch::Tensor SegmentFeatureStream::windows(int64_t first, int64_t count) {
  TORCH_CHECK(first >= next_first_ && count >= 0 && first + count <= ready_,
              "SegmentFeatureStream: frames [", first, ", ", first + count, ") asked for, ",
              next_first_, " taken already and ", ready_, " ready");
  next_first_ = first;
  // Hidden states before the first step this frame's window reads are read by no later frame.
  const int64_t keep_from = window_steps(fps_, first, 1).begin;
  while (!segments_.empty() &&
         segments_.front().first_step + segments_.front().hidden.size(0) <= keep_from) {
    segments_.pop_front();
  }
  const StepRange range = window_steps(fps_, first, count);
  const int64_t end = end_step();
  const int64_t lo = std::max<int64_t>(range.begin, 0), hi = std::min(range.end, end);
  // The steps [lo, hi) these frames read, from the one or two segments that hold them.
  std::vector<torch::Tensor> pieces;
  for (const Segment& s : segments_) {
    const int64_t a = std::max(lo, s.first_step);
    const int64_t b = std::min(hi, s.first_step + s.hidden.size(0));
    if (a < b) pieces.push_back(s.hidden.narrow(0, a - s.first_step, b - a));
  }
  torch::Tensor hidden = pieces.empty()       ? no_steps_
                         : pieces.size() == 1 ? pieces.front()
                                              : torch::cat(pieces, 0);
  return frame_windows_at(hidden, pieces.empty() ? 0 : lo, end, fps_, first, count);
}

int64_t SegmentFeatureStream::steps_held() const {
  int64_t steps = 0;
  for (const Segment& s : segments_) steps += s.hidden.size(0);
  return steps;
}

}  // namespace musetalk::audio
