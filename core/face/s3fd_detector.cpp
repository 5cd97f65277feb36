// S3FD face detection: musetalk/utils/face_detection (Wav2Lip's batch fork of face_alignment):
// api.py FaceAlignment.get_detections_for_batch, detection/sfd/sfd_detector.py
// SFDDetector.detect_from_batch, detection/sfd/detect.py batch_detect, detection/sfd/bbox.py
// batch_decode and nms.
#include "face/s3fd_detector.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "files/error.h"
#include "torch_io/state_dict.h"
#include "torch_io/strict_load.h"

namespace musetalk::face {
namespace {

constexpr int kLevels = 6;
constexpr float kCandidateThreshold = 0.05f;  // detect.py: ocls[:, 1] > 0.05
constexpr float kNmsThreshold = 0.3f;         // sfd_detector.py: nms(..., 0.3)
constexpr float kScoreThreshold = 0.5f;       // sfd_detector.py: x[-1] > 0.5
constexpr float kCentreVariance = 0.1f;       // detect.py: variances = [0.1, 0.2]
constexpr float kSizeVariance = 0.2f;
// detect.py: img - np.array([104, 117, 123]) on the RGB-ordered frame.
constexpr float kMean[3] = {104.0f, 117.0f, 123.0f};
// The smallest frame side the network can take (four 2x2 poolings before fc6).
constexpr int64_t kMinSide = 16;

std::string shape_text(const torch::Tensor& t) {
  std::string s = "(";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + ")";
}

void check_outputs(const std::vector<torch::Tensor>& outputs, int64_t index) {
  const std::string input = "S3FD outputs";
  if (outputs.size() != 2 * kLevels) {
    throw Error(input, "expected 12 tensors (class scores and regressions of 6 levels), got " +
                           std::to_string(outputs.size()));
  }
  for (int level = 0; level < kLevels; ++level) {
    const torch::Tensor& cls = outputs[2 * level];
    const torch::Tensor& reg = outputs[2 * level + 1];
    if (cls.dim() != 4 || reg.dim() != 4 || cls.size(1) != 2 || reg.size(1) != 4 ||
        cls.size(0) != reg.size(0) || cls.size(2) != reg.size(2) || cls.size(3) != reg.size(3)) {
      throw Error(input, "level " + std::to_string(level) + " has class scores " + shape_text(cls) +
                             " and regressions " + shape_text(reg) +
                             ", expected (B, 2, h, w) and (B, 4, h, w)");
    }
    if (index < 0 || index >= cls.size(0)) {
      throw Error(input, "frame " + std::to_string(index) + " asked of a batch of " +
                             std::to_string(cls.size(0)));
    }
  }
}

// (B, H, W, 3) uint8 view of a frame or a batch of frames; throws Error otherwise.
torch::Tensor as_batch(const torch::Tensor& bgr) {
  const torch::Tensor frames = bgr.dim() == 3 ? bgr.unsqueeze(0) : bgr;
  if (frames.dim() != 4 || frames.size(3) != 3 || frames.scalar_type() != torch::kUInt8) {
    throw Error("S3FD input frame " + shape_text(bgr),
                "expected (H, W, 3) or (B, H, W, 3) uint8 BGR pixels");
  }
  return frames;
}

}  // namespace

nn::S3FD load_s3fd(const std::string& path, torch::Device device, torch::ScalarType dtype) {
  if (!std::filesystem::is_regular_file(path)) {
    throw Error(path, "S3FD face detector weights not found",
                "download s3fd-619a316812.pth (face_alignment's S3FD, "
                "https://www.adrianbulat.com/downloads/python-fan/s3fd-619a316812.pth)");
  }
  nn::S3FD net;
  load_strict(*net, load_state_dict(path), path);
  net->to(device, dtype);
  net->eval();
  for (auto& p : net->parameters()) p.set_requires_grad(false);  // inference only
  return net;
}

torch::Tensor s3fd_input(const torch::Tensor& bgr) {
  const torch::Tensor frames = as_batch(bgr);
  const torch::Tensor mean =
      torch::tensor({kMean[0], kMean[1], kMean[2]}, torch::dtype(torch::kFloat32))
          .to(frames.device());
  // api.py: images[..., ::-1]; detect.py: minus the means, then NHWC -> NCHW.
  return (frames.flip({3}).to(torch::kFloat32) - mean).permute({0, 3, 1, 2}).contiguous();
}

Anchor s3fd_anchor(int level, int64_t row, int64_t col) {
  const int64_t stride = int64_t{1} << (level + 2);  // 4, 8, ..., 128
  Anchor a;
  a.cx = static_cast<float>(stride / 2 + col * stride);
  a.cy = static_cast<float>(stride / 2 + row * stride);
  a.side = static_cast<float>(4 * stride);
  return a;
}

FaceDetection s3fd_decode(const Anchor& anchor, float dx, float dy, float dw, float dh,
                          float score) {
  // bbox.py batch_decode, elementwise in float32:
  // priors[:2] + loc[:2] * variances[0] * priors[2:], priors[2:] * exp(loc[2:] * variances[1]).
  const float cx = anchor.cx + dx * kCentreVariance * anchor.side;
  const float cy = anchor.cy + dy * kCentreVariance * anchor.side;
  const float w = anchor.side * std::exp(dw * kSizeVariance);
  const float h = anchor.side * std::exp(dh * kSizeVariance);
  FaceDetection d;
  d.x1 = cx - w / 2;  // boxes[:, :2] -= boxes[:, 2:] / 2
  d.y1 = cy - h / 2;
  d.x2 = w + d.x1;  // boxes[:, 2:] += boxes[:, :2]
  d.y2 = h + d.y1;
  d.score = score;
  return d;
}

std::vector<FaceDetection> s3fd_candidates(const std::vector<torch::Tensor>& outputs,
                                           int64_t index) {
  check_outputs(outputs, index);
  std::vector<FaceDetection> found;
  for (int level = 0; level < kLevels; ++level) {
    // detect.py: F.softmax(olist[i * 2], dim=1), on the float32 scores.
    const torch::Tensor prob =
        torch::softmax(outputs[2 * level].narrow(0, index, 1).to(torch::kCPU, torch::kFloat32), 1)
            .contiguous();
    const torch::Tensor reg =
        outputs[2 * level + 1].narrow(0, index, 1).to(torch::kCPU, torch::kFloat32).contiguous();
    const auto p = prob.accessor<float, 4>();
    const auto r = reg.accessor<float, 4>();
    for (int64_t y = 0; y < prob.size(2); ++y) {
      for (int64_t x = 0; x < prob.size(3); ++x) {
        const float score = p[0][1][y][x];
        if (!(score > kCandidateThreshold)) continue;
        found.push_back(s3fd_decode(s3fd_anchor(level, y, x), r[0][0][y][x], r[0][1][y][x],
                                    r[0][2][y][x], r[0][3][y][x], score));
      }
    }
  }
  return found;
}

std::vector<FaceDetection> nms(const std::vector<FaceDetection>& dets, float iou_threshold) {
  // order = scores.argsort()[::-1]: ascending (stable), reversed.
  std::vector<size_t> order(dets.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return dets[a].score < dets[b].score; });
  std::reverse(order.begin(), order.end());

  const auto area = [](const FaceDetection& d) { return (d.x2 - d.x1 + 1) * (d.y2 - d.y1 + 1); };
  std::vector<FaceDetection> keep;
  std::vector<bool> dropped(dets.size(), false);
  for (size_t k = 0; k < order.size(); ++k) {
    if (dropped[k]) continue;
    const FaceDetection& a = dets[order[k]];
    keep.push_back(a);
    for (size_t m = k + 1; m < order.size(); ++m) {
      if (dropped[m]) continue;
      const FaceDetection& b = dets[order[m]];
      const float w = std::max(0.0f, std::min(a.x2, b.x2) - std::max(a.x1, b.x1) + 1);
      const float h = std::max(0.0f, std::min(a.y2, b.y2) - std::max(a.y1, b.y1) + 1);
      const float inter = w * h;
      const float overlap = inter / (area(a) + area(b) - inter);
      if (!(overlap <= iou_threshold)) dropped[m] = true;  // kept where ovr <= thresh
    }
  }
  return keep;
}

std::vector<FaceDetection> s3fd_detections(const std::vector<torch::Tensor>& outputs,
                                           int64_t index) {
  std::vector<FaceDetection> kept = nms(s3fd_candidates(outputs, index), kNmsThreshold);
  kept.erase(std::remove_if(kept.begin(), kept.end(),
                            [](const FaceDetection& d) { return !(d.score > kScoreThreshold); }),
             kept.end());
  return kept;
}

std::optional<avatar::Box> best_face_box(const std::vector<FaceDetection>& detections) {
  if (detections.empty()) return std::nullopt;
  const FaceDetection& d = detections.front();
  // np.clip(d, 0, None), then int() of each corner (truncation).
  const auto pixel = [](float v) { return static_cast<int>(std::max(v, 0.0f)); };
  avatar::Box box;
  box.x1 = pixel(d.x1);
  box.y1 = pixel(d.y1);
  box.x2 = pixel(d.x2);
  box.y2 = pixel(d.y2);
  return box;
}

std::vector<std::optional<avatar::Box>> detect_faces(nn::S3FD& net, const torch::Tensor& bgr) {
  const torch::Tensor frames = as_batch(bgr);
  if (frames.size(1) < kMinSide || frames.size(2) < kMinSide) {
    throw Error("S3FD input frame " + shape_text(bgr),
                "the face detector needs frames of at least 16 x 16 pixels");
  }
  const torch::Tensor weight = net->parameters().front();
  torch::InferenceMode inference;
  std::vector<torch::Tensor> outputs =
      net->forward(s3fd_input(frames).to(weight.device(), weight.scalar_type()));
  for (torch::Tensor& o : outputs) o = o.to(torch::kCPU, torch::kFloat32);
  std::vector<std::optional<avatar::Box>> boxes;
  for (int64_t b = 0; b < frames.size(0); ++b) {
    boxes.push_back(best_face_box(s3fd_detections(outputs, b)));
  }
  return boxes;
}

std::optional<avatar::Box> detect_face(nn::S3FD& net, const torch::Tensor& bgr) {
  if (bgr.dim() != 3) {
    throw Error("S3FD input frame " + shape_text(bgr), "expected (H, W, 3) uint8 BGR pixels");
  }
  return detect_faces(net, bgr).front();
}

}  // namespace musetalk::face
