#include "live/file_audio_input.h"

#include <vector>

#include "media/audio_reader.h"

namespace musetalk::live {

FileAudioInput::FileAudioInput(const std::string& path, const stream::Clock& clock,
                               AudioChunkCallback on_chunk, std::function<void()> on_end)
    : path_(path),
      clock_(clock),
      on_chunk_(std::move(on_chunk)),
      on_end_(std::move(on_end)),
      reader_(std::make_unique<media::AudioReader>(path)) {
  reader_->set_output(kVoiceRate, 1, AV_SAMPLE_FMT_FLT, /*mean_downmix=*/true);
}

FileAudioInput::~FileAudioInput() {
  stop();
}

void FileAudioInput::start() {
  if (started_) return;
  started_ = true;
  start_pts_ns_ = clock_.now_ns();
  thread_ = std::thread([this] { run(); });
}

void FileAudioInput::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void FileAudioInput::wait() {
  if (thread_.joinable()) thread_.join();
  if (error_) std::rethrow_exception(error_);
}

bool FileAudioInput::sleep_until(int64_t t_ns) {
  // One chunk's time at most: stop() is noticed within it.
  clock_.sleep_until_ns(t_ns);
  return !stopping_.load();
}

void FileAudioInput::run() {
  try {
    std::vector<float> pending;
    size_t offset = 0;  // samples of pending already sent
    bool more = true;
    while (!stopping_.load()) {
      while (more && pending.size() - offset < kChunkSamples) {
        more = reader_->read([&](const uint8_t* const* planes, int samples) {
          const float* data = reinterpret_cast<const float*>(planes[0]);
          pending.insert(pending.end(), data, data + samples);
        });
      }
      size_t n = std::min(kChunkSamples, pending.size() - offset);
      if (n == 0) break;
      int64_t sent = samples_sent_.load();
      int64_t pts = start_pts_ns_ + sent * kVoiceSampleNs;
      // Captured once its last sample has been.
      if (!sleep_until(pts + static_cast<int64_t>(n) * kVoiceSampleNs)) break;
      on_chunk_(pts, pending.data() + offset, n);
      samples_sent_ = sent + static_cast<int64_t>(n);
      offset += n;
      if (offset > (1 << 16)) {  // keep the buffer small
        pending.erase(pending.begin(), pending.begin() + static_cast<ptrdiff_t>(offset));
        offset = 0;
      }
    }
    if (!stopping_.load() && on_end_) on_end_();
  } catch (...) {
    error_ = std::current_exception();
  }
  done_ = true;
}

}  // namespace musetalk::live
