#pragma once
// Face detection with S3FD as MuseTalk's avatar preparation uses it (Wav2Lip's batch fork of
// face_alignment in musetalk/utils/face_detection: api.py FaceAlignment.get_detections_for_batch,
// detection/sfd/sfd_detector.py detect_from_batch, detect.py batch_detect, bbox.py decode and
// nms): weight loading, the frame preprocessing, and the decoding of the network's outputs into
// the best face box of each frame.

#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "avatar/avatar.h"
#include "nn/s3fd.h"

namespace musetalk::face {

// One detection in frame pixels (float32, as upstream computes it): corners and the face
// probability.
struct FaceDetection {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  float score = 0;
};

// The S3FD network with the weights of `path` (s3fd-619a316812.pth: a plain state dict, legacy
// or zip container, or the same names in safetensors), strict-loaded, moved to device and
// dtype, in eval mode without gradients. Throws Error naming the file when it is missing,
// unreadable, or any name or shape does not match.
nn::S3FD load_s3fd(const std::string& path, torch::Device device, torch::ScalarType dtype);

// The network input for frames: (H, W, 3) or (B, H, W, 3) uint8 BGR (any device) ->
// (B, 3, H, W) float32 on the same device, channels flipped to RGB and then (104, 117, 123)
// subtracted channel by channel (the BGR means applied to RGB: api.py flips the frames, detect.py
// subtracts the means; kept as upstream does it), no resizing or scaling. Throws Error when the
// tensor is not uint8 with 3 channels last.
torch::Tensor s3fd_input(const torch::Tensor& bgr);

// Anchor centre and side of detection level `level` (0..5) at feature cell (row, col):
// stride 2^(level + 2), centre (stride / 2 + col * stride, stride / 2 + row * stride),
// side 4 * stride (detect.py batch_detect).
struct Anchor {
  float cx = 0, cy = 0, side = 0;
};
Anchor s3fd_anchor(int level, int64_t row, int64_t col);

// Decodes one regression (dx, dy, dw, dh) against an anchor with variances (0.1, 0.2)
// (bbox.py decode): centre = anchor centre + d * 0.1 * side, size = side * exp(d * 0.2),
// x1 = cx - w / 2, x2 = x1 + w (likewise y). Float32 arithmetic in upstream's order.
FaceDetection s3fd_decode(const Anchor& anchor, float dx, float dy, float dw, float dh,
                          float score);

// The candidates of frame `index` of a batch: outputs are the network's 12 tensors
// (nn::S3FDImpl::forward: cls (B, 2, h, w) logits and reg (B, 4, h, w) per level, any device and
// float dtype). Per level the class scores go through a softmax over the two channels (in
// float32); every cell whose face probability exceeds 0.05 gives a decoded box with that
// probability, in level, row, column order. Throws Error when there are not 12 outputs of
// those shapes or index is out of range.
std::vector<FaceDetection> s3fd_candidates(const std::vector<torch::Tensor>& outputs,
                                           int64_t index = 0);

// Greedy non-maximum suppression (bbox.py nms): boxes by descending score (ties: later first,
// as numpy's argsort reversed), each kept box drops the remaining ones whose overlap exceeds
// iou_threshold, overlap computed with the "+1" pixel convention (area = (x2 - x1 + 1) *
// (y2 - y1 + 1), intersection sides max(0, min - max + 1)). Returns the kept boxes in that order.
std::vector<FaceDetection> nms(const std::vector<FaceDetection>& detections, float iou_threshold);

// The faces of frame `index`: candidates, NMS at IoU 0.3, then scores above 0.5, best first
// (sfd_detector.py detect_from_batch). For a batch this equals upstream's result for that frame
// (upstream's extra candidates from the other frames' cells never survive the 0.5 threshold or
// change which boxes do).
std::vector<FaceDetection> s3fd_detections(const std::vector<torch::Tensor>& outputs,
                                           int64_t index = 0);

// The best detection as a pixel box (api.py get_detections_for_batch): the first detection,
// corners clipped below at 0 (not above) and truncated to int; nullopt when there is none.
std::optional<avatar::Box> best_face_box(const std::vector<FaceDetection>& detections);

// The best face of one frame: bgr (H, W, 3) uint8 BGR on the CPU; the network runs on its own
// device and dtype. Returns the box x1, y1, x2, y2 in pixels, or nullopt when no face scores
// above 0.5. Throws Error when bgr is not (H, W, 3) uint8 or smaller than 16 x 16.
std::optional<avatar::Box> detect_face(nn::S3FD& net, const torch::Tensor& bgr);

// The same for a batch of frames of one size, in one network pass: bgr (B, H, W, 3) uint8 BGR on
// the CPU -> B results (sfd_detector.py detect_from_batch with api.py's best-box choice).
std::vector<std::optional<avatar::Box>> detect_faces(nn::S3FD& net, const torch::Tensor& bgr);

}  // namespace musetalk::face
