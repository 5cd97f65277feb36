#include "stream/stream_session.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <vector>

#include "audio/audio_features.h"
#include "files/error.h"
#include "model/face_generator.h"

namespace musetalk::stream {
namespace {

double ms_between(int64_t a_ns, int64_t b_ns) {
  return static_cast<double>(b_ns - a_ns) / 1e6;
}

// A slice of output frame time, so that a waiting presenter still notices cancel and errors.
constexpr int64_t kPollNs = 20000000;

// out = round(w * generated + (1 - w) * cycle frame), both (H, W, 3) uint8 on one device.
torch::Tensor crossfade(const torch::Tensor& generated, const torch::Tensor& cycle_frame,
                        double w) {
  return (generated.to(torch::kFloat32) * w + cycle_frame.to(torch::kFloat32) * (1.0 - w))
      .round()
      .clamp(0, 255)
      .to(torch::kUInt8);
}

size_t ring_capacity(const StreamSettings& s) {
  if (s.batch <= 0 || s.ready_hops <= 0 || s.crossfade_frames < 0 || s.input_buffer_ms <= 0) {
    throw Error("stream settings",
                "batch " + std::to_string(s.batch) + ", ready hops " +
                    std::to_string(s.ready_hops) + ", crossfade " +
                    std::to_string(s.crossfade_frames) + ", input buffer " +
                    std::to_string(s.input_buffer_ms) + " ms",
                "use positive values");
  }
  return static_cast<size_t>(int64_t{s.input_buffer_ms} * kStreamSampleRate / 1000);
}

}  // namespace

StreamSession::StreamSession(ModelSet& models, std::shared_ptr<const SessionAvatar> avatar,
                             const StreamSettings& settings, const Clock& clock)
    : models_(models),
      settings_(settings),
      clock_(clock),
      ring_(ring_capacity(settings)),
      features_(models.whisper, settings.features, settings.batch),
      voice_(settings.voice),
      avatar_(std::move(avatar)) {
  if (!avatar_) throw Error("avatar", "is missing", "load an avatar before starting a session");
  const int least = least_latency_ms();
  if (settings.latency_ms > 0 && settings.latency_ms < least) {
    throw Error("latency " + std::to_string(settings.latency_ms) + " ms",
                "is shorter than the lookahead and the hop's span: every frame would be late",
                "use at least " + std::to_string(least) + " ms, or 0 to measure it");
  }
}

int StreamSession::least_latency_ms() const {
  // A hop's audio has all arrived lookahead after its last frame; one 20 ms input chunk more.
  return settings_.features.lookahead_ms + (settings_.batch - 1) * 1000 / settings_.features.fps +
         20;
}

StreamSession::~StreamSession() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  ring_.close();
  if (generator_.joinable()) generator_.join();
}

void StreamSession::push_audio(int64_t pts_ns, const float* samples, size_t count) {
  ring_.push(pts_ns, samples, count);
}

void StreamSession::end_of_input() {
  ring_.close();
}

void StreamSession::set_avatar(std::shared_ptr<const SessionAvatar> avatar) {
  if (!avatar) return;
  std::lock_guard<std::mutex> lock(mutex_);
  avatar_ = std::move(avatar);
}

std::shared_ptr<const SessionAvatar> StreamSession::current_avatar() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return avatar_;
}

StreamStats StreamSession::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  StreamStats s = stats_;
  s.audio_dropped = ring_.dropped();
  return s;
}

int64_t StreamSession::frame_sample(int64_t f) const {
  return f * kStreamSampleRate / settings_.features.fps;
}

int64_t StreamSession::frame_pts_ns(int64_t f) const {
  return ring_.origin_ns().value_or(0) + f * kNanosPerSecond / settings_.features.fps;
}

bool StreamSession::stopping() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stop_;
}

// Latency = lookahead (the audio a frame waits for) + the hop's span (its first frame waits for
// its last frame's audio) + twice the compute time of one hop, timed on the session's clock.
int64_t StreamSession::warm_up() {
  const int fps = settings_.features.fps;
  if (latency_ns_ > 0) return latency_ns_;
  if (settings_.latency_ms > 0 || !settings_.realtime) {
    // Not realtime: frames go out when ready; the nominal latency only sizes the buffers.
    latency_ns_ =
        int64_t{settings_.latency_ms > 0 ? settings_.latency_ms : least_latency_ms()} * 1000000;
    fit_to_latency();
    return latency_ns_;
  }
  // Two hops on silence; the first pays for one-time set-up (kernels, caches), so the second is
  // the one timed.
  int64_t compute = 0;
  for (int pass = 0; pass < 2; ++pass) {
    const int64_t start = clock_.now_ns();
    torch::InferenceMode inference;
    AudioRing silence(16000);
    torch::Tensor windows = features_.windows(silence, 0, settings_.batch, 0);
    std::shared_ptr<const SessionAvatar> avatar = current_avatar();
    GeneratedFaces faces =
        generate_faces(models_.unet, models_.vae, models_.vae_config.scaling_factor, windows,
                       avatar->latents(0, settings_.batch));
    for (int64_t k = 0; k < settings_.batch; ++k) {
      avatar->compose(k, faces.bgr[k]).to(torch::kCPU);
    }
    compute = clock_.now_ns() - start;
  }
  latency_ns_ = int64_t{settings_.features.lookahead_ms} * 1000000 +
                (settings_.batch - 1) * kNanosPerSecond / fps + 2 * compute;
  // Whole frames, so the voice delay matches the picture to the frame.
  const int64_t frame_ns = kNanosPerSecond / fps;
  latency_ns_ = (latency_ns_ + frame_ns - 1) / frame_ns * frame_ns;
  fit_to_latency();
  return latency_ns_;
}

// The input must hold every sample still read: the voice of frames shown latency after their
// audio came, and the left context of the hop being generated. Generated frames may wait up to
// the latency for their time.
void StreamSession::fit_to_latency() {
  const int64_t held_ms = latency_ns_ / 1000000 + settings_.features.left_context_ms +
                          settings_.features.lookahead_ms + 2000;
  const auto needed = static_cast<size_t>(held_ms * kStreamSampleRate / 1000);
  if (needed > ring_.capacity()) {
    if (ring_.end() > 0 || ring_.origin_ns()) {
      throw Error("input buffer",
                  "holds " + std::to_string(ring_.capacity() / kStreamSampleRate) +
                      " s of audio but the latency and the left context need " +
                      std::to_string(held_ms / 1000 + 1) + " s",
                  "call warm_up() before pushing audio, or raise input_buffer_ms");
    }
    ring_.resize(needed);
  }
  const int64_t frames_ahead = latency_ns_ * settings_.features.fps / kNanosPerSecond;
  ready_limit_ = std::max<size_t>(static_cast<size_t>(settings_.ready_hops * settings_.batch),
                                  static_cast<size_t>(frames_ahead + settings_.batch));
}

// Voice activity per frame, over the audio its Whisper window spans, and the crossfade weight of
// the generated face (0: the cycle frame, 1: the generated frame). Called for every hop, skipped
// ones included, so the detector and the fade follow the voice without gaps.
std::vector<double> StreamSession::speech_weights(int64_t first, int64_t count,
                                                  int64_t end_samples) {
  const int fps = settings_.features.fps;
  std::vector<double> weights(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) {
    const audio::StepRange steps = audio::window_steps(fps, first + k, 1);
    const int64_t a = std::max<int64_t>(0, steps.begin * audio::kSamplesPerStep);
    const int64_t b = std::min(steps.end * audio::kSamplesPerStep, end_samples);
    std::vector<float> samples(static_cast<size_t>(std::max<int64_t>(0, b - a)));
    if (!samples.empty()) ring_.read(a, b, samples.data());
    const bool speaking = voice_.update(rms_dbfs(samples.data(), samples.size()));
    if (!settings_.idle) {
      speech_weight_ = 1;
    } else if (settings_.crossfade_frames == 0) {
      speech_weight_ = speaking ? 1 : 0;
    } else {
      const double step = 1.0 / settings_.crossfade_frames;
      speech_weight_ = std::clamp(speech_weight_ + (speaking ? step : -step), 0.0, 1.0);
    }
    weights[k] = speech_weight_;
  }
  return weights;
}

bool StreamSession::generate_hop(int64_t first, const std::vector<double>& weights,
                                 int64_t end_samples) {
  const auto count = static_cast<int64_t>(weights.size());
  std::shared_ptr<const SessionAvatar> avatar = current_avatar();
  const bool any_speech =
      std::any_of(weights.begin(), weights.end(), [](double w) { return w > 0; });

  std::map<int64_t, Ready> done;
  const int64_t t0 = clock_.now_ns();
  int64_t t1 = t0, t2 = t0;
  if (any_speech) {
    if (settings_.before_hop) settings_.before_hop(first);
    torch::InferenceMode inference;
    torch::Tensor windows = features_.windows(ring_, first, count, end_samples);
    t1 = clock_.now_ns();
    GeneratedFaces faces =
        generate_faces(models_.unet, models_.vae, models_.vae_config.scaling_factor, windows,
                       avatar->latents(first, count));
    t2 = clock_.now_ns();
    for (int64_t k = 0; k < count; ++k) {
      if (weights[k] <= 0) continue;
      torch::Tensor frame = avatar->compose(first + k, faces.bgr[k]);
      if (weights[k] < 1) frame = crossfade(frame, avatar->frame(first + k), weights[k]);
      done[first + k] = {FrameKind::Speech, frame.to(torch::kCPU).contiguous(), avatar};
    }
  }
  const int64_t t3 = clock_.now_ns();
  for (int64_t k = 0; k < count; ++k) {
    if (!done.count(first + k)) done[first + k] = {FrameKind::Idle, {}, avatar};
  }

  if (any_speech && settings_.after_hop) settings_.after_hop(first, ms_between(t0, t3));
  std::unique_lock<std::mutex> lock(mutex_);
  if (any_speech) {
    ++stats_.hops;
    hop_total_ms_ += ms_between(t0, t3);
    features_total_ms_ += ms_between(t0, t1);
    networks_total_ms_ += ms_between(t1, t2);
    compositing_total_ms_ += ms_between(t2, t3);
    const auto hops = static_cast<double>(stats_.hops);
    stats_.hop_ms = hop_total_ms_ / hops;
    stats_.features_ms = features_total_ms_ / hops;
    stats_.networks_ms = networks_total_ms_ / hops;
    stats_.compositing_ms = compositing_total_ms_ / hops;
  }
  stats_.speaking = voice_.speaking();
  // Bounded: wait while the presenter has enough ahead of it.
  changed_.wait(lock, [&] { return stop_ || ready_.size() < ready_limit_; });
  if (stop_) return false;
  for (auto& [f, r] : done) ready_[f] = std::move(r);
  generated_until_ = first + count;
  changed_.notify_all();
  return true;
}

void StreamSession::generate() {
  const int fps = settings_.features.fps;
  int64_t next = 0;
  try {
    while (!stopping()) {
      int64_t count = settings_.batch;
      const int64_t need = features_.samples_needed(next + count - 1);
      const int64_t end = ring_.wait_for(need, kPollNs);
      const bool closed = ring_.closed();
      int64_t end_samples = std::numeric_limits<int64_t>::max();
      if (end < need) {
        if (!closed) continue;
        // The input ended: the last hop is what remains of floor(L * fps / 16000) frames.
        end_samples = ring_.end();
        count = std::min(count, audio::frame_count(end_samples, fps) - next);
        if (count <= 0) break;
      }
      const std::vector<double> weights = speech_weights(next, count, end_samples);
      const bool any_speech =
          std::any_of(weights.begin(), weights.end(), [](double w) { return w > 0; });
      if (settings_.realtime && any_speech) {
        // Late: the hop's first frame is due before a hop's compute could finish. (An idle hop
        // costs nothing and is never late.)
        const double hop_ms = stats().hop_ms;
        const int64_t due = frame_pts_ns(next) + latency_ns_;
        if (clock_.now_ns() + static_cast<int64_t>(hop_ms * 1e6) > due) {
          std::lock_guard<std::mutex> lock(mutex_);
          ++stats_.hops_skipped;
          generated_until_ = next + count;
          next += count;
          changed_.notify_all();
          continue;
        }
      }
      if (!generate_hop(next, weights, end_samples)) break;
      next += count;
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_) error_ = std::current_exception();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  generator_done_ = true;
  changed_.notify_all();
}

StreamStats StreamSession::run(FrameOutput& output, const std::atomic<bool>* cancel,
                               const std::function<void(const StreamStats&)>& on_stats) {
  const int fps = settings_.features.fps;
  auto cancelled = [&] { return cancel && cancel->load(); };
  warm_up();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.latency_ms = static_cast<double>(latency_ns_) / 1e6;
  }
  generator_ = std::thread([this] { generate(); });

  std::exception_ptr failure;
  try {
    // The timeline starts with the first audio.
    while (!ring_.origin_ns() && !ring_.closed() && !cancelled()) ring_.wait_for(1, kPollNs);
    std::vector<float> voice;
    int64_t last_report = 0;
    for (int64_t f = 0; ring_.origin_ns() && !cancelled(); ++f) {
      if (ring_.closed() && f >= audio::frame_count(ring_.end(), fps)) break;
      const int64_t pts = frame_pts_ns(f);
      Ready frame;
      bool found = false;
      if (settings_.realtime) {
        for (int64_t now = clock_.now_ns(); now < pts + latency_ns_ && !cancelled();
             now = clock_.now_ns()) {
          clock_.sleep_until_ns(std::min(pts + latency_ns_, now + kPollNs));
        }
      }
      {
        std::unique_lock<std::mutex> lock(mutex_);
        if (!settings_.realtime) {
          // Polled: nothing notifies when *cancel turns true.
          while (!(ready_.count(f) || generator_done_ || error_ || cancelled())) {
            changed_.wait_for(lock, std::chrono::nanoseconds(kPollNs));
          }
        }
        if (error_) break;
        // Frames before f are past: a late hop's frames are never shown after their time.
        while (!ready_.empty() && ready_.begin()->first < f) ready_.erase(ready_.begin());
        auto it = ready_.find(f);
        if (it != ready_.end()) {
          frame = std::move(it->second);
          ready_.erase(it);
          found = true;
        }
        changed_.notify_all();
      }
      if (!found) {
        frame.kind = FrameKind::Filler;
        frame.avatar = current_avatar();
      }
      if (!frame.bgr.defined()) frame.bgr = frame.avatar->frame(f).to(torch::kCPU).contiguous();
      const int64_t a = frame_sample(f), b = frame_sample(f + 1);
      voice.assign(static_cast<size_t>(b - a), 0.0f);
      ring_.read(a, b, voice.data());
      ring_.release(a);

      FrameView view;
      view.index = f;
      view.pts_ns = pts;
      view.fps = fps;
      view.kind = frame.kind;
      view.bgr = frame.bgr.data_ptr<uint8_t>();
      view.height = static_cast<int>(frame.bgr.size(0));
      view.width = static_cast<int>(frame.bgr.size(1));
      view.stride = view.width * 3;
      view.audio = voice.data();
      view.audio_samples = static_cast<int>(voice.size());
      const int64_t t0 = clock_.now_ns();
      output.write(view);
      const double write_ms = ms_between(t0, clock_.now_ns());

      StreamStats snapshot;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++stats_.frames;
        if (frame.kind == FrameKind::Speech) ++stats_.speech;
        if (frame.kind == FrameKind::Idle) ++stats_.idle;
        if (frame.kind == FrameKind::Filler) ++stats_.filler;
        output_total_ms_ += write_ms;
        stats_.output_ms = output_total_ms_ / static_cast<double>(stats_.frames);
        snapshot = stats_;
      }
      if (on_stats && f - last_report >= fps / 2) {
        snapshot.audio_dropped = ring_.dropped();
        on_stats(snapshot);
        last_report = f;
      }
    }
    // A failed generator's error is the result; nothing half made is committed. Nor is an
    // output that never got a frame (no audio came before the stop).
    bool failed = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      failed = error_ != nullptr;
    }
    if (!failed && stats().frames > 0) output.finish();
  } catch (...) {
    failure = std::current_exception();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    if (!failure) failure = error_;
  }
  changed_.notify_all();
  ring_.close();
  if (generator_.joinable()) generator_.join();
  if (failure) std::rethrow_exception(failure);
  return stats();
}

}  // namespace musetalk::stream
