#include "stream_test_support.h"

#include <algorithm>

#include "adapters/avatar_latents.h"
#include "host/caching_cpu_allocator.h"
#include "media/audio_decoder.h"
#include "pipeline/png_avatar_images.h"
#include "pipeline/render_pipeline.h"
#include "test_support.h"
#include "tiny_model_set.h"
#include "torch_io/state_dict.h"

namespace musetalk::test {
namespace {

// The tool's CPU allocator (host/caching_cpu_allocator.h): each hop's 30 s Whisper input would
// otherwise fault in fresh pages every time, and the session would be measured against a
// different allocator than users run.
const bool kCachingAllocator = [] {
  host::use_caching_cpu_allocator();
  return true;
}();

}  // namespace

std::string tiny_models_dir() {
  static TempDir dir;
  static const bool written = [] {
    write_tiny_model_set(dir.path());
    return true;
  }();
  (void)written;
  return dir.path().string();
}

const SampleAvatar& sample_avatar() {
  static const SampleAvatar loaded = [] {
    SampleAvatar s;
    ModelSet& models = shared_tiny_models();
    s.avatar = avatar::load_avatar(sample_dir() + "/avatar");
    torch::InferenceMode inference;
    s.latents = adapters::make_avatar_latents(models.vae, models.vae_config.scaling_factor,
                                              s.avatar, 8, {});
    pipeline::PngAvatarImages images(s.avatar, torch::kCPU);
    s.session = stream::SessionAvatar::load(s.avatar, images, s.latents, models.device,
                                            models.dtype, torch::kCPU);
    return s;
  }();
  return loaded;
}

const std::vector<float>& sample_voice() {
  static const std::vector<float> voice =
      media::decode_audio_16k_mono(sample_dir() + "/voice.wav").samples;
  return voice;
}

void RecordingOutput::write(const stream::FrameView& frame) {
  RecordedFrame r;
  r.index = frame.index;
  r.pts_ns = frame.pts_ns;
  r.written_at_ns = clock_.now_ns();
  r.kind = frame.kind;
  if (keep_images_) {
    r.bgr = torch::from_blob(const_cast<uint8_t*>(frame.bgr), {frame.height, frame.width, 3},
                             {frame.stride, 3, 1}, torch::kUInt8)
                .clone();
  }
  r.audio.assign(frame.audio, frame.audio + frame.audio_samples);
  frames.push_back(std::move(r));
}

void feed_in_real_time(stream::StreamSession& session, const stream::Clock& clock,
                       const std::vector<float>& samples, int64_t start_ns) {
  constexpr size_t kChunk = 320;  // 20 ms
  for (size_t at = 0; at < samples.size(); at += kChunk) {
    const int64_t pts = start_ns + static_cast<int64_t>(at) * 62500;
    clock.sleep_until_ns(pts);
    session.push_audio(pts, samples.data() + at, std::min(kChunk, samples.size() - at));
  }
  session.end_of_input();
}

namespace {

class CollectingSink : public pipeline::FrameSink {
 public:
  void write_bgr(const uint8_t* bgr, int width, int height, int stride) override {
    frames.push_back(torch::from_blob(const_cast<uint8_t*>(bgr), {height, width, 3}, {stride, 3, 1},
                                      torch::kUInt8)
                         .clone());
  }
  std::vector<torch::Tensor> frames;
};

}  // namespace

std::vector<torch::Tensor> render_frames(ModelSet& models, const SampleAvatar& avatar,
                                         const std::vector<float>& samples, int fps, int batch) {
  pipeline::PngAvatarImages images(avatar.avatar, torch::kCPU);
  avatar::Avatar with_latents = avatar.avatar;
  with_latents.latents = to_file_tensor(avatar.latents);
  CollectingSink sink;
  pipeline::RenderSettings settings;
  settings.fps = fps;
  settings.batch = batch;
  pipeline::render(models, with_latents, images, samples, settings, sink, nullptr);
  return sink.frames;
}

}  // namespace musetalk::test
