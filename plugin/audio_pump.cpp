#include "audio_pump.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <vector>

// LibTorch's headers before libobs's: obs.h's SIMDe emulation (util/sse-intrin.h) breaks the
// x86 intrinsics headers that LibTorch includes after it.
#include "stream/clock.h"
#include "stream/stream_session.h"

#include "guarded.h"
#include "voice_resampler.h"

namespace musetalk::obs_plugin {
namespace {

constexpr auto kPumpStep = std::chrono::milliseconds(20);
// Without captured audio for this long (no source, a stopped one), the pump feeds silence so the
// session keeps showing idle frames.
constexpr int64_t kSilenceAfterNs = 200000000;
// Silence is fed up to this far behind the clock, so a late real block still lands in order.
constexpr int64_t kSilenceMarginNs = 40000000;

}  // namespace

AudioPump::AudioPump(CaptureBuffer& capture, std::function<void(const std::string&)> on_error)
    : capture_(capture), on_error_(std::move(on_error)) {
  thread_ = std::thread([this] {
    run_restarting(
        "audio pump", quit_, [this] { run(); },
        [this](const std::string& message) {
          if (on_error_) on_error_(message);
        });
  });
}

AudioPump::~AudioPump() {
  quit_ = true;
  capture_.wake();
  if (thread_.joinable()) thread_.join();
}

void AudioPump::attach(stream::StreamSession* session) {
  std::lock_guard<std::mutex> lock(mutex_);
  session_ = session;
  ++serial_;
}

void AudioPump::run() {
  VoiceResampler resampler;
  CapturedBlock block;
  std::vector<float> mono;
  std::vector<float> silence;
  stream::SteadyClock clock;  // CLOCK_MONOTONIC, the clock of os_gettime_ns() and the session's
  uint64_t serial = 0;
  int64_t next_pts = 0;   // end of what was pushed into the current session (session clock)
  int64_t last_real = 0;  // arrival of the last captured block
  while (!quit_) {
    bool got = capture_.pop(block, kPumpStep);
    if (quit_) break;
    const int64_t now = clock.now_ns();
    std::lock_guard<std::mutex> lock(mutex_);
    if (serial_ != serial) {
      serial = serial_;
      next_pts = now;
    }
    for (; got; got = capture_.pop(block)) {
      last_real = block.arrival_ns;
      if (!session_) continue;  // hidden, loading or failed: the audio is drained and dropped
      mono.clear();
      try {
        resampler.convert(block, mono);
      } catch (const std::exception& e) {
        if (on_error_) on_error_(e.what());
        continue;
      }
      if (mono.empty()) continue;
      const auto duration = static_cast<int64_t>(mono.size()) * 1000000000 / 16000;
      // Stamped by arrival on the session's clock: a gap then reads as silence in the session's
      // ring (stream/audio_ring.h).
      const int64_t pts = block.arrival_ns - duration;
      session_->push_audio(pts, mono.data(), mono.size());
      next_pts = std::max(next_pts, pts + duration);
    }
    if (session_ && now - last_real > kSilenceAfterNs) {
      const int64_t until = now - kSilenceMarginNs;
      const int64_t count = (until - next_pts) * 16000 / 1000000000;
      if (count > 0) {
        silence.assign(static_cast<size_t>(count), 0.0f);
        session_->push_audio(next_pts, silence.data(), silence.size());
        next_pts += count * 1000000000 / 16000;
      }
    }
  }
}

}  // namespace musetalk::obs_plugin
