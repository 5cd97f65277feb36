#pragma once
// The audio track of an Mp4Writer: PCM from one of two sources, resampled and encoded as AAC,
// streamed into the muxer as the video advances and cut to the video's length. The source is
// either a file's audio (read as the encoder needs it) or 16 kHz mono float samples the caller
// pushes (a live stream's voice); encoding, buffering and muxing are the same for both.

#include <cstdint>
#include <memory>
#include <string>

#include "media/audio_reader.h"
#include "media/ffmpeg_util.h"

namespace musetalk::media {

class AacTrack {
 public:
  // The rate and format of pushed samples: 16 kHz mono float, the engine's audio.
  static constexpr int kPushedRate = 16000;
  struct Pushed {};  // selects the constructor whose samples come from push()

  // Adds an AAC stream to muxer (before its header is written) whose audio is the file source's.
  // Throws musetalk::Error naming source when it has no usable audio, or output_path when no AAC
  // encoder is available.
  AacTrack(const std::string& source, AVFormatContext* muxer, const std::string& output_path);
  // The same with mono audio the caller hands to push(). Throws musetalk::Error naming
  // output_path when no AAC encoder or resampler is available.
  AacTrack(Pushed, AVFormatContext* muxer, const std::string& output_path);
  ~AacTrack();
  AacTrack(const AacTrack&) = delete;
  AacTrack& operator=(const AacTrack&) = delete;

  int rate() const { return encoder_->sample_rate; }
  // Pushed tracks only: appends n samples (kPushedRate, mono float, any n >= 0), converted to
  // the encoder's rate and format. They are encoded by the next encode_until() or finish().
  // Throws musetalk::Error naming the output on a file-sourced track or after finish().
  void push(const float* samples16k, int n);
  // Encodes whole AAC frames up to total_samples (per channel, at rate()), as far as the source
  // has them (a pushed track: as far as has been pushed).
  void encode_until(int64_t total_samples);
  // Encodes up to exactly total_samples (less if the source is shorter) and flushes the encoder.
  void finish(int64_t total_samples);

 private:
  void open_encoder(int source_rate, int channels, AVFormatContext* muxer);
  bool fill(int64_t samples);  // reads the source until the FIFO holds samples; false at its end
  void to_fifo(const uint8_t* const* planes, int n);
  // Pushed samples into the FIFO; null flushes the resampler.
  void resample(const float* samples16k, int n);
  void encode(int samples);

  std::unique_ptr<AudioReader> reader_;  // the file source, or null when samples are pushed
  SwrPtr swr_;                           // pushed samples -> the encoder's rate and format
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
