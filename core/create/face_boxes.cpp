#include "create/face_boxes.h"

#include <algorithm>
#include <optional>

#include "create/stage_timer.h"
#include "face/pose_landmarks.h"
#include "face/s3fd_detector.h"
#include "media/image_io.h"
#include "media/pose_warp.h"

namespace musetalk::create {
namespace {

// S3FD runs on the full-resolution frame: its first layers hold 64 channels of float32 per
// pixel, so a batch is sized to this many frame pixels (upstream detects one frame at a time).
constexpr int64_t kDetectBatchPixels = 4'000'000;

torch::Tensor as_tensor(media::Image& image) {
  return torch::from_blob(image.pixels.data(), {image.height, image.width, image.channels},
                          torch::kUInt8);
}

// Runs `step` over the frames in batches of `batch`, with each batch's frames read back as
// (B, H, W, 3) uint8 BGR (all frames of a video share one size).
template <typename Step>
void for_each_batch(const std::vector<SourceFrame>& frames, int batch, const Step& step) {
  for (size_t begin = 0; begin < frames.size(); begin += batch) {
    const size_t end = std::min(frames.size(), begin + static_cast<size_t>(batch));
    std::vector<torch::Tensor> images;
    for (size_t i = begin; i < end; ++i) {
      media::Image bgr = media::read_png(frames[i].png, 3);
      images.push_back(as_tensor(bgr).clone());
    }
    step(begin, torch::stack(images));
  }
}

std::vector<std::optional<avatar::Box>> detect(const CreateOptions& options,
                                               const CreateModelPaths& models,
                                               const media::VideoInfo& info,
                                               const std::vector<SourceFrame>& frames) {
  nn::S3FD net = face::load_s3fd(models.s3fd, options.device, torch::kFloat32);
  // On the CPU one frame at a time; on a GPU as many as kDetectBatchPixels allows.
  const int64_t frame_pixels = static_cast<int64_t>(info.width) * info.height;
  const int batch = options.device.is_cuda()
                        ? static_cast<int>(std::clamp<int64_t>(kDetectBatchPixels / frame_pixels, 1,
                                                               options.batch))
                        : 1;
  std::vector<std::optional<avatar::Box>> boxes(frames.size());
  if (options.progress) options.progress("detect", 0, static_cast<int64_t>(frames.size()));
  for_each_batch(frames, batch, [&](size_t begin, const torch::Tensor& bgr) {
    const std::vector<std::optional<avatar::Box>> found = face::detect_faces(net, bgr);
    std::copy(found.begin(), found.end(), boxes.begin() + static_cast<int64_t>(begin));
    if (options.progress) {
      options.progress("detect", static_cast<int64_t>(begin + found.size()),
                       static_cast<int64_t>(frames.size()));
    }
  });
  return boxes;
}

std::vector<avatar::FaceLandmarks> landmarks(const CreateOptions& options,
                                             const CreateModelPaths& models,
                                             const media::VideoInfo& info,
                                             const std::vector<SourceFrame>& frames) {
  nn::RTMPose net = face::load_dwpose(models.dwpose, options.device, torch::kFloat32);
  const media::PoseWarp warp = media::pose_warp_for(info.width, info.height);
  std::vector<avatar::FaceLandmarks> out(frames.size());
  if (options.progress) options.progress("landmarks", 0, static_cast<int64_t>(frames.size()));
  for (size_t begin = 0; begin < frames.size(); begin += options.batch) {
    const size_t end = std::min(frames.size(), begin + static_cast<size_t>(options.batch));
    std::vector<torch::Tensor> crops;
    for (size_t i = begin; i < end; ++i) {
      media::Image crop = media::warp_for_pose(media::read_png(frames[i].png, 3), warp);
      crops.push_back(as_tensor(crop).clone());
    }
    const face::PoseKeypoints kp = face::estimate_keypoints(net, torch::stack(crops), warp);
    // Instance 0's keypoints 23..90, cast to int32 as upstream does (truncation toward zero).
    const torch::Tensor face_points =
        kp.keypoints.slice(1, avatar::kFirstFaceKeypoint, avatar::kFirstFaceKeypoint + 68)
            .to(torch::kCPU)
            .to(torch::kInt32)
            .contiguous();
    const int32_t* v = face_points.data_ptr<int32_t>();
    for (size_t i = begin; i < end; ++i) {
      for (int k = 0; k < 68; ++k) {
        const int32_t* p = v + ((i - begin) * 68 + k) * 2;
        out[i][k] = {p[0], p[1]};
      }
    }
    if (options.progress) {
      options.progress("landmarks", static_cast<int64_t>(end), static_cast<int64_t>(frames.size()));
    }
  }
  return out;
}

}  // namespace

std::vector<avatar::FaceLandmarks> find_face_boxes(const CreateOptions& options,
                                                   const CreateModelPaths& models,
                                                   const media::VideoInfo& info,
                                                   std::vector<SourceFrame>& frames,
                                                   StageSeconds& seconds) {
  if (options.box) {
    const avatar::Box box = avatar::check_given_box(*options.box, info.width, info.height, "--box");
    for (SourceFrame& f : frames) {
      f.report.face_box = box;
      f.report.box_source = "given";
      f.report.warnings = avatar::face_warnings(nullptr, box);
    }
    return {};
  }
  torch::InferenceMode inference;
  const StageTimer detect_time;
  const std::vector<std::optional<avatar::Box>> detected = detect(options, models, info, frames);
  seconds.detect = detect_time.seconds();
  const StageTimer landmarks_time;
  const std::vector<avatar::FaceLandmarks> points = landmarks(options, models, info, frames);
  seconds.landmarks = landmarks_time.seconds();

  avatar::FaceBoxRule rule;
  if (options.version == UNetVersion::V15) {
    rule.extra_margin = avatar::kV15ExtraMargin;
  } else {
    rule.bbox_shift = options.bbox_shift;
  }
  std::vector<avatar::FaceLandmarks> with_face;
  for (size_t i = 0; i < frames.size(); ++i) {
    FrameReport& r = frames[i].report;
    const avatar::FaceBoxChoice choice =
        avatar::choose_face_box(points[i], detected[i], rule, info.width, info.height);
    r.face_box = choice.box;
    r.box_source = choice.source;
    r.dropped = choice.problem;
    if (detected[i]) with_face.push_back(points[i]);
    if (choice.box) r.warnings = avatar::face_warnings(&points[i], *choice.box);
  }
  return with_face;
}

}  // namespace musetalk::create
