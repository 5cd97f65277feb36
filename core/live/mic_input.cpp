#include "live/mic_input.h"

#include <portaudio.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <thread>
#include <utility>
#include <vector>

#include "files/error.h"
#include "live/audio_stream_time.h"
#include "live/capture_ring.h"
#include "live/portaudio_stream.h"
#include "media/ffmpeg_util.h"

extern "C" {
#include <libavutil/mathematics.h>
#include <libavutil/opt.h>
}

namespace musetalk::live {
namespace {

// The worker looks for new capture this often; each PortAudio buffer holds 10 ms.
constexpr auto kPollPeriod = std::chrono::milliseconds(4);
// A hole in the capture longer than this (the device stalled, the machine slept) starts a new
// timeline rather than being filled with silence.
constexpr int64_t kMaxFillNs = 1000000000;

}  // namespace

struct MicInput::Impl {
  MicInputOptions options;
  AudioChunkCallback on_chunk;
  PortAudioSession session;
  AudioDevice device;
  std::string what;  // the device as errors name it
  int rate = 0;
  int channels = 0;
  int frames_per_buffer = 0;
  double input_latency_s = 0;
  std::unique_ptr<CaptureRing> ring;
  std::atomic<int64_t> captured{0};
  std::atomic<int64_t> overflows{0};

  // Worker.
  std::thread worker;
  std::atomic<bool> stopping{false};
  bool running = false;
  std::exception_ptr error;
  media::SwrPtr swr;
  StreamTimeMap time_map;
  bool anchored = false;
  int64_t anchor_ns = 0;  // steady time of the timeline's first sample
  int64_t frames_since_anchor = 0;
  int64_t next_adc_ns = 0;  // where the next block should begin if nothing was lost
  RecentMedian residuals;   // capture time - time by frame count
  std::vector<float> block;
  std::vector<float> out;
  std::atomic<int64_t> samples_delivered{0};
  std::atomic<int64_t> chunks_delivered{0};
  // Last: closed first, before the ring its callback fills goes.
  PortAudioStream stream;

  Impl(MicInputOptions o, AudioChunkCallback cb) : options(std::move(o)), on_chunk(std::move(cb)) {}

  static int callback(const void* input, void*, unsigned long frames,
                      const PaStreamCallbackTimeInfo* time, PaStreamCallbackFlags flags,
                      void* user) {
    auto* self = static_cast<Impl*>(user);
    CaptureBlockInfo info;
    info.steady_ns = steady_now_ns();
    info.adc_time_s = time ? time->inputBufferAdcTime : 0;
    info.stream_time_s = time ? time->currentTime : 0;
    info.overflow = (flags & paInputOverflow) != 0;
    if (info.overflow) self->overflows.fetch_add(1, std::memory_order_relaxed);
    int stored = self->ring->push(static_cast<const float*>(input), static_cast<int>(frames), info);
    self->captured.fetch_add(stored, std::memory_order_relaxed);
    return paContinue;
  }

  void open();
  void set_up_resampler();
  void run();
  void process(const CaptureBlockInfo& info);
  void convert(const float* data, int frames);
};

void MicInput::Impl::open() {
  device = session.find(options.device, AudioDirection::Input);
  what = audio_device_what(device, AudioDirection::Input);
  // At most two channels; the device's own rate first (no resampling in the sound server), then
  // common ones.
  AudioFormat format = find_float_format(device, AudioDirection::Input, options.latency_s,
                                         {std::min(device.max_input_channels, 2)},
                                         {device.default_sample_rate, 48000.0, 44100.0, 16000.0});
  channels = format.channels;
  rate = format.rate;
  frames_per_buffer = std::max(rate / 100, 1);
  stream.open(device, AudioDirection::Input, format, options.latency_s, frames_per_buffer,
              &callback, this);
  input_latency_s = stream.latency_s();
  size_t slots = static_cast<size_t>(std::ceil(options.buffer_s * rate / frames_per_buffer));
  ring = std::make_unique<CaptureRing>(std::max<size_t>(slots, 4), frames_per_buffer, channels);
  block.resize(static_cast<size_t>(frames_per_buffer) * channels);
  set_up_resampler();
}

// Device rate and channels to 16 kHz mono float, the channels averaged (as media::AudioReader's
// mean downmix). min_comp / min_hard_comp / max_soft_comp are libswresample's timestamp
// compensation (libswresample/options.c, swr_next_pts in swresample.c): a timeline error over
// 1 ms is corrected by stretching in proportion to it over the next second, by at most 0.5 %; one
// over 20 ms (lost capture) at once, with silence or by dropping samples. Through PulseAudio the
// capture times wander by up to ~3 ms when the source's latency changes (a sink starting to
// play), which the soft correction absorbs without a jump in the timeline.
void MicInput::Impl::set_up_resampler() {
  AVChannelLayout in_layout, out_layout;
  av_channel_layout_default(&in_layout, channels);
  av_channel_layout_default(&out_layout, 1);
  SwrContext* raw = nullptr;
  int rc = swr_alloc_set_opts2(&raw, &out_layout, AV_SAMPLE_FMT_FLT, kVoiceRate, &in_layout,
                               AV_SAMPLE_FMT_FLT, rate, 0, nullptr);
  swr.reset(raw);
  if (rc >= 0) {
    std::vector<double> matrix(channels, 1.0 / channels);
    rc = swr_set_matrix(raw, matrix.data(), channels);
  }
  if (rc >= 0) rc = av_opt_set_double(raw, "min_comp", 0.001, 0);
  if (rc >= 0) rc = av_opt_set_double(raw, "min_hard_comp", 0.02, 0);
  if (rc >= 0) rc = av_opt_set_double(raw, "max_soft_comp", 0.005, 0);
  if (rc >= 0) rc = swr_init(raw);
  av_channel_layout_uninit(&in_layout);
  av_channel_layout_uninit(&out_layout);
  if (rc < 0)
    throw Error(what, "cannot set up the resampler to 16 kHz (" + media::av_error_text(rc) + ")",
                "report this with the device's rate and channels (--list-devices)");
}

void MicInput::Impl::convert(const float* data, int frames) {
  int capacity = swr_get_out_samples(swr.get(), frames);
  if (capacity <= 0) return;
  if (out.size() < static_cast<size_t>(capacity)) out.resize(capacity);
  // The timeline position of the first sample this conversion returns.
  int64_t units = static_cast<int64_t>(rate) * kVoiceRate;
  int64_t pts_ns = anchor_ns + av_rescale(swr_next_pts(swr.get(), INT64_MIN), 1000000000, units);
  uint8_t* out_planes[1] = {reinterpret_cast<uint8_t*>(out.data())};
  const uint8_t* in_planes[1] = {reinterpret_cast<const uint8_t*>(data)};
  int n =
      swr_convert(swr.get(), out_planes, capacity, data ? in_planes : nullptr, data ? frames : 0);
  if (n < 0)
    throw Error(what, "resampling the capture failed (" + media::av_error_text(n) + ")",
                "report this with the device's rate and channels (--list-devices)");
  if (n == 0) return;
  on_chunk(pts_ns, out.data(), static_cast<size_t>(n));
  samples_delivered.fetch_add(n, std::memory_order_relaxed);
  chunks_delivered.fetch_add(1, std::memory_order_relaxed);
}

void MicInput::Impl::process(const CaptureBlockInfo& info) {
  time_map.observe(info.steady_ns, info.stream_time_s);
  int64_t block_ns = av_rescale(info.frames, 1000000000, rate);
  int64_t adc_ns = info.adc_time_s > 0 && time_map.valid()
                       ? time_map.to_steady_ns(info.adc_time_s)
                       : info.steady_ns - block_ns - std::llround(input_latency_s * 1e9);
  if (!anchored) {
    anchored = true;
    anchor_ns = next_adc_ns = adc_ns;
    frames_since_anchor = 0;
    residuals.clear();
  }
  // The block's time as the device's sample count predicts it, corrected by the median of the
  // recent differences to the reported times: one outlier moves nothing.
  int64_t predicted_ns = anchor_ns + av_rescale(frames_since_anchor, 1000000000, rate);
  int64_t block_start_ns = predicted_ns + residuals.push(adc_ns - predicted_ns);
  if (std::llabs(block_start_ns - next_adc_ns) > kMaxFillNs) {
    convert(nullptr, 0);  // the old timeline's tail
    int rc = swr_init(swr.get());
    if (rc < 0)
      throw Error(what, "cannot restart the resampler (" + media::av_error_text(rc) + ")",
                  "report this with the device's rate and channels (--list-devices)");
    anchor_ns = block_start_ns = adc_ns;
    frames_since_anchor = 0;
    residuals.clear();
    residuals.push(0);
  }
  frames_since_anchor += info.frames;
  next_adc_ns = block_start_ns + block_ns;
  // swr_next_pts takes the block's input time in 1 / (in_rate * out_rate) s and compensates
  // any difference to the timeline it has produced so far.
  swr_next_pts(swr.get(), av_rescale(block_start_ns - anchor_ns,
                                     static_cast<int64_t>(rate) * kVoiceRate, 1000000000));
  convert(block.data(), info.frames);
}

void MicInput::Impl::run() {
  try {
    CaptureBlockInfo info;
    while (true) {
      bool last = stopping.load(std::memory_order_acquire);
      while (ring->pop(block.data(), info)) process(info);
      if (last) break;
      std::this_thread::sleep_for(kPollPeriod);
    }
    if (anchored) convert(nullptr, 0);  // the resampler's tail
  } catch (...) {
    error = std::current_exception();
  }
}

MicInput::MicInput(MicInputOptions options, AudioChunkCallback on_chunk)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(on_chunk))) {
  impl_->open();
}

MicInput::~MicInput() {
  try {
    stop();
  } catch (...) {
  }
}

void MicInput::start() {
  Impl& m = *impl_;
  if (m.running) return;
  m.ring->reset();
  m.captured = 0;
  m.overflows = 0;
  m.samples_delivered = 0;
  m.chunks_delivered = 0;
  m.error = nullptr;
  m.anchored = false;
  int rc = swr_init(m.swr.get());
  if (rc < 0)
    throw Error(m.what, "cannot restart the resampler (" + media::av_error_text(rc) + ")",
                "report this with the device's rate and channels (--list-devices)");
  m.time_map = StreamTimeMap();
  m.time_map.measure(m.stream.get());
  m.stopping = false;
  m.worker = std::thread([&m] { m.run(); });
  try {
    m.stream.start();
  } catch (...) {
    m.stopping = true;
    m.worker.join();
    throw;
  }
  m.running = true;
}

void MicInput::stop() {
  Impl& m = *impl_;
  if (!m.running) return;
  m.running = false;
  m.stream.stop();
  m.stopping.store(true, std::memory_order_release);
  if (m.worker.joinable()) m.worker.join();
  if (m.error) std::rethrow_exception(std::exchange(m.error, nullptr));
}

bool MicInput::active() const {
  return impl_->running && impl_->stream.active();
}

const AudioDevice& MicInput::device() const {
  return impl_->device;
}

int MicInput::device_rate() const {
  return impl_->rate;
}

int MicInput::device_channels() const {
  return impl_->channels;
}

MicInput::Stats MicInput::stats() const {
  Stats s;
  s.captured_frames = impl_->captured.load();
  s.dropped_frames = impl_->ring->dropped_frames();
  s.overflows = impl_->overflows.load();
  s.samples_delivered = impl_->samples_delivered.load();
  s.chunks_delivered = impl_->chunks_delivered.load();
  return s;
}

}  // namespace musetalk::live
