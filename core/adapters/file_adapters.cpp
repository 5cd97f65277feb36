#include "adapters/file_adapters.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <utility>

#include "files/error.h"
#include "media/image_io.h"

namespace musetalk::adapters {

namespace fs = std::filesystem;

namespace {

constexpr int kVoiceRate = 16000;  // the engine's audio: 16 kHz mono float

std::string numbered_png(const std::string& dir, int64_t i) {
  char name[32];
  std::snprintf(name, sizeof name, "%08lld.png", static_cast<long long>(i));
  return (fs::path(dir) / name).string();
}

// A folder this scope created, removed when the scope is left unless keep() took it over: the
// frames' staging folder while the rest of the sink (the MP4 writer) may still fail to open.
class StagingFolder {
 public:
  StagingFolder() = default;
  StagingFolder(const StagingFolder&) = delete;
  StagingFolder& operator=(const StagingFolder&) = delete;
  ~StagingFolder() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  void hold(std::string path) { path_ = std::move(path); }
  std::string keep() { return std::exchange(path_, std::string()); }

 private:
  std::string path_;
};

}  // namespace

AudioFileSource::AudioFileSource(const std::string& path, int64_t expected_samples)
    : reader_(path), expected_(expected_samples) {
  // As media::decode_audio_16k_mono() reads it: librosa's mono, the mean of the channels.
  reader_.set_output(kVoiceRate, 1, AV_SAMPLE_FMT_FLT, /*mean_downmix=*/true);
  if (expected_ <= 0) expected_ = std::llround(reader_.stated_duration_s() * kVoiceRate);
}

size_t AudioFileSource::read(float* out, size_t max) {
  auto keep = [&](const uint8_t* const* planes, int n) {
    const auto* samples = reinterpret_cast<const float*>(planes[0]);
    decoded_.insert(decoded_.end(), samples, samples + n);
  };
  while (at_ == decoded_.size() && !ended_) {
    decoded_.clear();
    at_ = 0;
    ended_ = !reader_.read(keep);
  }
  const size_t n = std::min(max, decoded_.size() - at_);
  std::copy_n(decoded_.data() + at_, n, out);
  at_ += n;
  return n;
}

std::string frames_staging_dir(const std::string& frames_dir) {
  fs::path p(frames_dir);
  while (!p.has_filename() && p.has_relative_path()) p = p.parent_path();  // "out/frames/"
  return p.string() + ".partial";
}

VideoFileSink::VideoFileSink(const std::string& out_path, int width, int height, int fps, int crf,
                             const std::string& audio_source, const std::string& frames_dir)
    : frames_dir_(frames_dir) {
  StagingFolder staging;
  if (!frames_dir_.empty()) {
    std::error_code ec;
    if (fs::exists(frames_dir_, ec)) {
      throw Error(frames_dir_, "already exists", "choose a frames folder that does not exist yet");
    }
    const std::string partial = frames_staging_dir(frames_dir_);
    if (fs::exists(partial, ec)) {
      // Never removed here: it may hold someone's files.
      throw Error(partial,
                  "already exists, where the frame PNGs would be written before it is renamed to " +
                      frames_dir_,
                  "remove it (a render that was killed can leave it behind) or choose another "
                  "frames folder");
    }
    if (!fs::create_directories(partial, ec)) {
      throw Error(frames_dir_, "cannot be created: " + ec.message());
    }
    staging.hold(partial);
  }
  writer_.open(out_path, width, height, fps, crf, audio_source);
  frames_partial_ = staging.keep();
}

VideoFileSink::~VideoFileSink() {
  if (!finished_ && !frames_partial_.empty()) {
    std::error_code ec;
    fs::remove_all(frames_partial_, ec);
  }
}

void VideoFileSink::write_bgr(const uint8_t* bgr, int width, int height, int stride) {
  writer_.write_bgr(bgr, stride);
  if (!frames_partial_.empty()) {
    media::write_png_bgr(numbered_png(frames_partial_, index_), bgr, width, height, stride);
  }
  ++index_;
}

void VideoFileSink::finish() {
  // The frames folder is renamed first: a failed rename leaves no MP4, and a failed MP4 moves the
  // folder back to its staging name, which the destructor removes. Either both appear or neither.
  if (!frames_partial_.empty()) {
    std::error_code ec;
    fs::rename(frames_partial_, frames_dir_, ec);
    if (ec) {
      throw Error(frames_dir_, "cannot be created from " + frames_partial_ + ": " + ec.message(),
                  "check the folder's permissions and free space, then render again");
    }
  }
  try {
    writer_.finish();
  } catch (...) {
    std::error_code ec;
    if (!frames_partial_.empty()) fs::rename(frames_dir_, frames_partial_, ec);
    throw;
  }
  finished_ = true;
}

}  // namespace musetalk::adapters
