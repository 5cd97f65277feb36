#include "obs_frame_output.h"

#include <obs.h>

namespace musetalk::obs_plugin {

ObsFrameOutput::ObsFrameOutput(obs_source* source, int64_t base_ns,
                               const std::atomic<bool>& emit_audio, std::atomic<int64_t>& frames)
    : source_(source),
      base_ns_(base_ns),
      next_ns_(base_ns),
      voice_delay_ns_(static_cast<int64_t>(obs_get_frame_interval_ns() / 2)),
      emit_audio_(emit_audio),
      frames_(frames) {}

void ObsFrameOutput::write(const stream::FrameView& frame) {
  const int64_t ts = base_ns_ + frame.index * int64_t{1000000000} / frame.fps;
  next_ns_ = base_ns_ + (frame.index + 1) * int64_t{1000000000} / frame.fps;

  // BGR24 rows to BGRA (OBS has no packed 24-bit format; it forces full range for RGB formats).
  const size_t row = static_cast<size_t>(frame.width) * 4;
  bgra_.resize(row * static_cast<size_t>(frame.height));
  for (int y = 0; y < frame.height; ++y) {
    const uint8_t* in = frame.bgr + static_cast<size_t>(y) * frame.stride;
    uint8_t* out = bgra_.data() + static_cast<size_t>(y) * row;
    for (int x = 0; x < frame.width; ++x) {
      out[4 * x + 0] = in[3 * x + 0];
      out[4 * x + 1] = in[3 * x + 1];
      out[4 * x + 2] = in[3 * x + 2];
      out[4 * x + 3] = 255;
    }
  }
  obs_source_frame video{};
  video.data[0] = bgra_.data();
  video.linesize[0] = static_cast<uint32_t>(row);
  video.width = static_cast<uint32_t>(frame.width);
  video.height = static_cast<uint32_t>(frame.height);
  video.format = VIDEO_FORMAT_BGRA;
  video.full_range = true;
  video.timestamp = static_cast<uint64_t>(ts);
  // Copied into OBS's own cache (obs-source.c cache_video), so the buffer is reused at once.
  obs_source_output_video(source_, &video);
  ++frames_;

  if (emit_audio_ && frame.audio && frame.audio_samples > 0) {
    obs_source_audio audio{};
    audio.data[0] = reinterpret_cast<const uint8_t*>(frame.audio);
    audio.frames = static_cast<uint32_t>(frame.audio_samples);
    audio.speakers = SPEAKERS_MONO;
    audio.format = AUDIO_FORMAT_FLOAT;
    audio.samples_per_sec = 16000;
    audio.timestamp = static_cast<uint64_t>(ts + voice_delay_ns_);
    obs_source_output_audio(source_, &audio);
  }
}

}  // namespace musetalk::obs_plugin
