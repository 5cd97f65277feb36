#pragma once
// Streams the audio of any FFmpeg-readable file, decoded and converted to a chosen rate, channel
// layout and sample format, one decoded frame at a time (memory does not grow with the file).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "media/ffmpeg_util.h"

namespace musetalk::media {

class AudioReader {
 public:
  // Opens the best audio stream of path; throws musetalk::Error naming path when the file is
  // missing, is not media, has no audio stream or no decoder for it.
  explicit AudioReader(const std::string& path);

  const std::string& path() const { return path_; }
  int source_rate() const { return decoder_->sample_rate; }
  int source_channels() const { return decoder_->ch_layout.nb_channels; }
  // Samples per channel decoded so far, at the source rate.
  int64_t source_samples() const { return source_samples_; }
  // The audio's duration as the file's header states it (the stream's, else the container's),
  // 0 when it states none. An estimate: a streamed WAV's header may say anything.
  double stated_duration_s() const;

  // Output format; mean_downmix averages all source channels into every output channel
  // (librosa's mono), instead of FFmpeg's default mixing matrix.
  void set_output(int rate, int channels, AVSampleFormat format, bool mean_downmix);

  // Decodes the next frame and passes the converted samples to sink (one pointer per plane,
  // samples per channel). Returns false once the file is exhausted and the resampler flushed.
  using Sink = std::function<void(const uint8_t* const* planes, int samples)>;
  bool read(const Sink& sink);

 private:
  void convert(const AVFrame* frame, const Sink& sink);

  std::string path_;
  InputContextPtr input_;
  CodecContextPtr decoder_;
  SwrPtr swr_;
  PacketPtr packet_;
  FramePtr frame_;
  int stream_index_ = -1;
  int out_channels_ = 0;
  AVSampleFormat out_format_ = AV_SAMPLE_FMT_NONE;
  bool input_done_ = false;
  bool finished_ = false;
  int64_t source_samples_ = 0;
  std::vector<std::vector<uint8_t>> planes_;
};

}  // namespace musetalk::media
