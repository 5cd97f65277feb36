#include "pipeline/render_pipeline.h"

#include <algorithm>
#include <chrono>

#include "audio/audio_features.h"
#include "audio/segment_features.h"
#include "avatar/avatar.h"
#include "files/error.h"
#include "model/face_generator.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/compositor.h"
#include "pipeline/stage_threads.h"
#include "torch_io/state_dict.h"

namespace musetalk::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

// Samples read from the audio source at a time: 1 s at 16 kHz.
constexpr size_t kAudioChunk = 16000;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Faces {  // one generated batch, on the device
  int64_t first = 0;
  torch::Tensor bgr;  // (b, 256, 256, 3) uint8
};

struct Frames {                    // finished frames, on the host
  std::vector<torch::Tensor> bgr;  // (H, W, 3) uint8, contiguous
};

// The file an avatar image came from, for error messages.
std::string image_name(const std::vector<std::string>& files, const avatar::Avatar& avatar,
                       const char* what, int j) {
  if (static_cast<size_t>(j) < files.size()) return files[j];
  return avatar.root + " " + what + " " + std::to_string(j);
}

torch::Tensor compose(AvatarImages& images, const avatar::Avatar& avatar, int j,
                      const torch::Tensor& face256) {
  const torch::Device device = face256.device();
  torch::Tensor frame = images.frame(j).to(device);
  if (frame.dim() != 3 || frame.size(2) != 3 || frame.scalar_type() != torch::kUInt8) {
    throw Error(image_name(avatar.frame_files, avatar, "frame", j),
                "is not an 8-bit 3-channel image", avatar::kRecreateFix);
  }
  const Box& box = avatar.face_boxes[j];
  // Upstream skips the frame when the (0,0,0,0) placeholder box cannot be resized to (MuseTalk
  // scripts/realtime_inference.py Avatar.process_frames); the avatar frame itself keeps the
  // video's length and timing.
  if (box.width() <= 0 || box.height() <= 0) return frame;
  torch::Tensor mask = images.mask(j).to(device);
  const Box& crop = avatar.mask_boxes[j];
  if (mask.dim() != 2 || mask.size(0) != crop.height() || mask.size(1) != crop.width()) {
    throw Error(image_name(avatar.mask_files, avatar, "mask", j),
                "has shape " + files::shape_string(mask.sizes().vec()) + " but its mask box is " +
                    std::to_string(crop.width()) + "x" + std::to_string(crop.height()),
                avatar::kRecreateFix);
  }
  torch::Tensor face = resize_face(face256, box.width(), box.height());
  return paste_face(frame, face, box, mask, crop);
}

}  // namespace

RenderStats render(ModelSet& models, const avatar::Avatar& avatar, AvatarImages& images,
                   AudioSource& audio, const RenderSettings& settings, FrameSink& sink,
                   const RenderProgress& progress, const std::atomic<bool>* cancel) {
  const Clock::time_point start = Clock::now();
  RenderStats stats;
  if (settings.fps <= 0 || settings.batch <= 0 || settings.queue_depth == 0) {
    throw Error("render settings",
                "fps " + std::to_string(settings.fps) + ", batch " +
                    std::to_string(settings.batch) + ", queue depth " +
                    std::to_string(settings.queue_depth),
                "use positive values");
  }
  const auto cycle = static_cast<int64_t>(avatar.face_boxes.size());
  if (cycle == 0 || avatar.mask_boxes.size() != avatar.face_boxes.size()) {
    throw Error(avatar.root,
                "has " + std::to_string(cycle) + " face boxes and " +
                    std::to_string(avatar.mask_boxes.size()) + " mask boxes",
                std::string(avatar::kRecreateFix) + " (it needs one of each per cycle frame)");
  }

  torch::Tensor latents = to_torch(avatar.latents).to(models.device, models.dtype);
  if (latents.dim() != 4 || latents.size(0) != cycle) {
    throw Error(avatar.sources.latents.empty() ? avatar.root : avatar.sources.latents,
                "holds latents " + files::shape_string(latents.sizes().vec()) + " for " +
                    std::to_string(cycle) + " cycle frames",
                avatar::kRecreateFix);
  }
  const int fps = settings.fps;
  const int64_t batch_size = settings.batch;
  // The features are made on the generation thread as its batches need them; the per-frame
  // windows (5x larger than the states at 25 fps) batch by batch.
  audio::SegmentFeatureStream features(models.whisper, fps);
  // The progress total: estimated from the source until the audio's end is read, then exact.
  const int64_t expected = audio.expected_samples();
  std::atomic<int64_t> total_estimate{expected > 0 ? audio::frame_count(expected, fps) : -1};
  std::atomic<bool> total_known{false};
  auto progress_total = [&](int64_t done) {
    const int64_t total = total_estimate.load();
    return total_known.load() || total > done ? total : -1;
  };

  BoundedQueue<Faces> faces(settings.queue_depth);
  BoundedQueue<Frames> frames(settings.queue_depth);
  std::atomic<bool> stop{false};
  auto stopped = [&] { return stop.load() || (cancel && cancel->load()); };
  StageThreads stages([&] {
    stop = true;
    faces.close();
    frames.close();
  });

  stages.start([&] {
    torch::InferenceMode inference;
    std::vector<float> chunk(kAudioChunk);
    // Batches as MuseTalk musetalk/utils/utils.py datagen makes them: B consecutive frames, the
    // last one possibly smaller, frame i with cycle latent i mod 2N.
    for (int64_t first = 0; !stopped(); first += batch_size) {
      Clock::time_point t0 = Clock::now();
      while (!features.finished() && features.frames_ready() < first + batch_size && !stopped()) {
        const size_t n = audio.read(chunk.data(), chunk.size());
        if (n == 0) {
          features.finish();
          total_estimate = features.frame_count();
          total_known = true;
        } else {
          features.push(chunk.data(), n);
        }
      }
      const int64_t n = std::min(batch_size, features.frames_ready() - first);
      if (n <= 0 || stopped()) break;
      const torch::Tensor windows = features.windows(first, n);
      const torch::Tensor cycle_index =
          torch::arange(first, first + n, torch::kInt64).remainder(cycle).to(latents.device());
      const torch::Tensor batch_latents = latents.index_select(0, cycle_index);
      stats.features_s += seconds_since(t0);
      t0 = Clock::now();
      GeneratedFaces generated = generate_faces(
          models.unet, models.vae, models.vae_config.scaling_factor, windows, batch_latents);
      stats.generation_s += seconds_since(t0);
      if (!faces.push({first, generated.bgr})) break;
    }
    faces.close();  // on every way out, so the next stage never waits for nothing
  });

  stages.start([&] {
    torch::InferenceMode inference;
    while (std::optional<Faces> batch = faces.pop()) {
      if (stopped()) break;
      const Clock::time_point t0 = Clock::now();
      Frames done;
      for (int64_t b = 0; b < batch->bgr.size(0); ++b) {
        const int j = static_cast<int>((batch->first + b) % cycle);
        done.bgr.push_back(compose(images, avatar, j, batch->bgr[b]).to(torch::kCPU).contiguous());
      }
      stats.compositing_s += seconds_since(t0);
      if (!frames.push(std::move(done))) break;
    }
    frames.close();
  });

  try {
    while (std::optional<Frames> block = frames.pop()) {
      for (const torch::Tensor& f : block->bgr) {
        if (stopped()) break;
        const Clock::time_point t0 = Clock::now();
        const int width = static_cast<int>(f.size(1)), height = static_cast<int>(f.size(0));
        sink.write_bgr(f.data_ptr<uint8_t>(), width, height, width * 3);
        stats.sink_s += seconds_since(t0);
        ++stats.frames;
        if (progress) progress(stats.frames, progress_total(stats.frames));
      }
      if (stopped()) break;
    }
  } catch (...) {
    stages.fail(std::current_exception());
  }
  stages.stop_and_join();
  stages.rethrow();
  stats.total_s = seconds_since(start);
  return stats;
}

RenderStats render(ModelSet& models, const avatar::Avatar& avatar, AvatarImages& images,
                   const std::vector<float>& samples16k, const RenderSettings& settings,
                   FrameSink& sink, const RenderProgress& progress,
                   const std::atomic<bool>* cancel) {
  MemoryAudioSource audio(samples16k);
  return render(models, avatar, images, audio, settings, sink, progress, cancel);
}

}  // namespace musetalk::pipeline
