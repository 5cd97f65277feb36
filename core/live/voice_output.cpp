#include "live/voice_output.h"

#include <portaudio.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <vector>

#include "files/error.h"
#include "live/audio_chunk.h"
#include "live/audio_stream_time.h"
#include "live/portaudio_stream.h"
#include "live/timeline_buffer.h"
#include "media/ffmpeg_util.h"

extern "C" {
#include <libavutil/mathematics.h>
}

namespace musetalk::live {
namespace {

// A write this far off the previous write's end starts a new stretch of voice.
constexpr int64_t kContiguousNs = 1000000;
constexpr int64_t kNotPlaying = std::numeric_limits<int64_t>::min();

void check_delay(int64_t delay_ns, int64_t max_delay_ns) {
  if (delay_ns < 0 || delay_ns > max_delay_ns)
    throw Error("voice delay",
                "must be 0 .. " + std::to_string(max_delay_ns / 1000000) + " ms, not " +
                    std::to_string(delay_ns / 1000000) + " ms",
                "keep the delay within VoiceOutputOptions::max_delay_ns (the session's latency "
                "sets it)");
}

}  // namespace

struct VoiceOutput::Impl {
  VoiceOutputOptions options;
  PortAudioSession session;
  AudioDevice device;
  std::string what;
  int rate = 0;
  int channels = 1;
  double latency_s = 0;
  bool running = false;
  std::atomic<int64_t> delay_ns{0};
  int64_t epoch_ns = steady_now_ns();  // position 0 of the timeline
  std::unique_ptr<TimelineBuffer> buffer;

  // Callback only (and start(), before the callback runs).
  StreamTimeMap time_map;
  bool positioned = false;
  int64_t play_pos = 0;  // the next position to play
  RecentMedian errors;   // recent (where the DAC time says to play) - play_pos
  int64_t jump = 0;      // a larger error re-positions at once
  int64_t slew = 0;      // a larger error moves the position by one sample per callback
  std::atomic<int64_t> played_end{kNotPlaying};  // first position not played yet
  std::atomic<int64_t> played{0}, silent{0}, underflows{0}, resyncs{0};

  // Writer, under write_mutex.
  std::mutex write_mutex;
  media::SwrPtr swr;
  bool in_stretch = false;
  int64_t next_pts_ns = 0;  // where the stretch's next write should begin
  int64_t write_pos = 0;    // position of the resampler's next output sample
  std::vector<float> out;
  std::atomic<int64_t> late{0}, overflow{0};
  // Last: closed first, before the buffer its callback reads goes.
  PortAudioStream stream;

  explicit Impl(VoiceOutputOptions o) : options(std::move(o)) {}

  // The timeline position of steady time t_ns, rounded to the nearest sample.
  int64_t position(int64_t t_ns) const {
    return av_rescale_rnd(t_ns - epoch_ns, rate, 1000000000, AV_ROUND_NEAR_INF);
  }

  static int callback(const void*, void* output, unsigned long frames,
                      const PaStreamCallbackTimeInfo* time, PaStreamCallbackFlags flags,
                      void* user) {
    static_cast<Impl*>(user)->play(static_cast<float*>(output), static_cast<int64_t>(frames), time,
                                   flags);
    return paContinue;
  }

  void play(float* output, int64_t frames, const PaStreamCallbackTimeInfo* time,
            PaStreamCallbackFlags flags);
  void open(int64_t delay);
  void set_up_resampler();
  void convert(const float* samples, int count);
};

void VoiceOutput::Impl::play(float* output, int64_t frames, const PaStreamCallbackTimeInfo* time,
                             PaStreamCallbackFlags flags) {
  int64_t now = steady_now_ns();
  if (time) time_map.observe(now, time->currentTime);
  int64_t dac_ns = time && time->outputBufferDacTime > 0 && time_map.valid()
                       ? time_map.to_steady_ns(time->outputBufferDacTime)
                       : now + std::llround(latency_s * 1e9);
  int64_t target = position(dac_ns - delay_ns.load(std::memory_order_relaxed));
  if (!positioned) {
    play_pos = target;
    positioned = true;
    errors.clear();
  } else {
    // The device's clock and steady_clock drift apart slowly, and a single callback's time can be
    // off by milliseconds: act on the median of the recent errors, following small ones a
    // sample at a time (inaudible) and jumping only for large ones (a new D, a stalled device).
    int64_t error = errors.push(target - play_pos);
    int64_t move = 0;
    if (error > jump || error < -jump) {
      move = error;
      resyncs.fetch_add(1, std::memory_order_relaxed);
    } else if (error > slew) {
      move = 1;
    } else if (error < -slew) {
      move = -1;
    }
    play_pos += move;
    errors.shift(-move);
  }
  int64_t missing = 0;
  for (int64_t i = 0; i < frames; ++i) {
    float v;
    if (!buffer->load(play_pos + i, v)) {
      v = 0.0f;
      ++missing;
    }
    for (int c = 0; c < channels; ++c) output[i * channels + c] = v;
  }
  play_pos += frames;
  played_end.store(play_pos, std::memory_order_release);
  played.fetch_add(frames, std::memory_order_relaxed);
  silent.fetch_add(missing, std::memory_order_relaxed);
  if (flags & paOutputUnderflow) underflows.fetch_add(1, std::memory_order_relaxed);
}

void VoiceOutput::Impl::open(int64_t delay) {
  check_delay(delay, options.max_delay_ns);
  delay_ns = delay;
  device = session.find(options.device, AudioDirection::Output);
  what = audio_device_what(device, AudioDirection::Output);
  // Mono, else two identical channels; the device's own rate first, then common ones.
  AudioFormat format = find_float_format(device, AudioDirection::Output, options.latency_s, {1, 2},
                                         {device.default_sample_rate, 48000.0, 44100.0});
  channels = format.channels;
  rate = format.rate;
  stream.open(device, AudioDirection::Output, format, options.latency_s,
              paFramesPerBufferUnspecified, &callback, this);
  latency_s = stream.latency_s();
  jump = rate / 200;   // 5 ms
  slew = rate / 2000;  // 0.5 ms
  int64_t seconds = (options.max_delay_ns + 999999999) / 1000000000 + 1;
  buffer = std::make_unique<TimelineBuffer>(static_cast<size_t>(seconds * rate));
  set_up_resampler();
}

// 16 kHz mono to the device rate, mono; the timeline keeps the output where swr puts it (its
// first output sample is the first input sample's time).
void VoiceOutput::Impl::set_up_resampler() {
  AVChannelLayout mono;
  av_channel_layout_default(&mono, 1);
  SwrContext* raw = nullptr;
  int rc = swr_alloc_set_opts2(&raw, &mono, AV_SAMPLE_FMT_FLT, rate, &mono, AV_SAMPLE_FMT_FLT,
                               kVoiceRate, 0, nullptr);
  swr.reset(raw);
  if (rc >= 0) rc = swr_init(raw);
  av_channel_layout_uninit(&mono);
  if (rc < 0)
    throw Error(what, "cannot set up the resampler from 16 kHz (" + media::av_error_text(rc) + ")",
                "report this with the device's rate (--list-devices)");
}

void VoiceOutput::Impl::convert(const float* samples, int count) {
  int capacity = swr_get_out_samples(swr.get(), count);
  if (capacity <= 0) return;
  if (out.size() < static_cast<size_t>(capacity)) out.resize(capacity);
  uint8_t* out_planes[1] = {reinterpret_cast<uint8_t*>(out.data())};
  const uint8_t* in_planes[1] = {reinterpret_cast<const uint8_t*>(samples)};
  int n = swr_convert(swr.get(), out_planes, capacity, samples ? in_planes : nullptr,
                      samples ? count : 0);
  if (n <= 0) return;
  int64_t end = played_end.load(std::memory_order_acquire);
  // Slots still to be played must not be overwritten: nothing beyond a buffer ahead of the play
  // position (before the first callback, of where it will start).
  int64_t base = end != kNotPlaying
                     ? end
                     : position(steady_now_ns() - delay_ns.load(std::memory_order_relaxed));
  int64_t limit = base + static_cast<int64_t>(buffer->capacity());
  int64_t late_n = 0, overflow_n = 0;
  for (int i = 0; i < n; ++i) {
    int64_t pos = write_pos + i;
    if (end != kNotPlaying && pos < end) {
      ++late_n;
    } else if (pos >= limit) {
      ++overflow_n;
    } else {
      buffer->store(pos, out[i]);
    }
  }
  write_pos += n;
  if (late_n) late.fetch_add(late_n, std::memory_order_relaxed);
  if (overflow_n) overflow.fetch_add(overflow_n, std::memory_order_relaxed);
}

VoiceOutput::VoiceOutput(VoiceOutputOptions options, int64_t delay_ns)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->open(delay_ns);
}

VoiceOutput::~VoiceOutput() {
  stop();
}

void VoiceOutput::start() {
  Impl& v = *impl_;
  if (v.running) return;
  v.positioned = false;
  v.played_end = kNotPlaying;
  v.time_map = StreamTimeMap();
  v.time_map.measure(v.stream.get());
  v.stream.start();
  v.running = true;
}

void VoiceOutput::stop() {
  Impl& v = *impl_;
  if (!v.running) return;
  v.running = false;
  v.stream.stop();
}

void VoiceOutput::set_delay_ns(int64_t delay_ns) {
  check_delay(delay_ns, impl_->options.max_delay_ns);
  impl_->delay_ns.store(delay_ns, std::memory_order_relaxed);
}

int64_t VoiceOutput::delay_ns() const {
  return impl_->delay_ns.load(std::memory_order_relaxed);
}

void VoiceOutput::write(int64_t pts_ns, const float* samples, size_t count) {
  Impl& v = *impl_;
  if (count == 0) return;
  std::lock_guard<std::mutex> lock(v.write_mutex);
  int64_t gap = pts_ns - v.next_pts_ns;
  if (v.in_stretch && (gap > kContiguousNs || gap < -kContiguousNs)) {
    v.convert(nullptr, 0);  // the previous stretch's tail
    v.in_stretch = false;
  }
  if (!v.in_stretch) {
    int rc = swr_init(v.swr.get());
    if (rc < 0)
      throw Error(v.what, "cannot restart the resampler (" + media::av_error_text(rc) + ")",
                  "report this with the device's rate (--list-devices)");
    v.write_pos = v.position(pts_ns);
    v.in_stretch = true;
  }
  v.next_pts_ns = pts_ns + static_cast<int64_t>(count) * kVoiceSampleNs;
  // swr_convert takes at most INT_MAX samples; writes are chunks of milliseconds.
  const size_t kStep = 1 << 20;
  for (size_t done = 0; done < count; done += kStep)
    v.convert(samples + done, static_cast<int>(std::min(kStep, count - done)));
}

bool VoiceOutput::active() const {
  return impl_->running && impl_->stream.active();
}

const AudioDevice& VoiceOutput::device() const {
  return impl_->device;
}

int VoiceOutput::device_rate() const {
  return impl_->rate;
}

double VoiceOutput::latency_s() const {
  return impl_->latency_s;
}

VoiceOutput::Stats VoiceOutput::stats() const {
  const Impl& v = *impl_;
  Stats s;
  s.played_samples = v.played.load();
  s.silent_samples = v.silent.load();
  s.late_samples = v.late.load();
  s.overflow_samples = v.overflow.load();
  s.underflows = v.underflows.load();
  s.resyncs = v.resyncs.load();
  return s;
}

}  // namespace musetalk::live
