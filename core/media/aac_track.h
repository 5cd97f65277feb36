#pragma once
// The audio track of an Mp4Writer: the audio of a source file, resampled and encoded as AAC,
// streamed into the muxer as the video advances and cut to the video's length.

#include <cstdint>
#include <string>

#include "media/audio_reader.h"
#include "media/ffmpeg_util.h"

namespace musetalk::media {

class AacTrack {
 public:
  // Adds an AAC stream to muxer (before its header is written). Throws musetalk::Error naming
  // source when it has no usable audio, or output_path when no AAC encoder is available.
  AacTrack(const std::string& source, AVFormatContext* muxer, const std::string& output_path);

  int rate() const { return encoder_->sample_rate; }
  // Encodes whole AAC frames up to total_samples (per channel, at rate()).
  void encode_until(int64_t total_samples);
  // Encodes up to exactly total_samples (less if the source is shorter) and flushes the encoder.
  void finish(int64_t total_samples);

 private:
  bool fill(int64_t samples);  // reads the source until the FIFO holds samples; false at its end
  void encode(int samples);

  AudioReader reader_;
  AVFormatContext* muxer_;
  std::string output_path_;
  CodecContextPtr encoder_;
  AVStream* stream_ = nullptr;
  AudioFifoPtr fifo_;
  int frame_size_ = 1024;
  int64_t encoded_ = 0;
  bool source_done_ = false;
};

}  // namespace musetalk::media
