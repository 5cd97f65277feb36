#pragma once
// DWPose whole-body keypoints on the torch side (mmpose 1.1.0, as MuseTalk's
// musetalk/utils/preprocessing.py get_landmark_and_bbox runs it through inference_topdown):
// loading dw-ll_ucoco_384.pth, normalising the warped 288 x 384 crop
// (mmpose/models/data_preprocessors/data_preprocessor.py PoseDataPreprocessor: BGR -> RGB,
// (x - mean) / std), the flip test (mmpose/models/heads/coord_cls_heads/rtmcc_head.py
// RTMCCHead.predict, mmpose/models/utils/tta.py flip_vectors), SimCC decoding
// (mmpose/codecs/simcc_label.py SimCCLabel.decode, mmpose/codecs/utils/post_processing.py
// get_simcc_maximum) and the mapping back to image pixels (mmpose/models/pose_estimators/
// topdown.py add_pred_to_datasample). The crop itself is made by media/pose_warp.h.

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "media/pose_warp.h"
#include "nn/rtmpose.h"
#include "torch_io/strict_load.h"

namespace musetalk::face {

using media::PoseWarp;

// PoseDataPreprocessor mean and std (RGB order) of the DWPose config.
constexpr std::array<double, 3> kPoseMean = {123.675, 116.28, 103.53};
constexpr std::array<double, 3> kPoseStd = {58.395, 57.12, 57.375};

// COCO-WholeBody's 133-keypoint flip map (mmpose configs/_base_/datasets/coco_wholebody.py
// swap pairs): flip_indices[k] is keypoint k's mirror image. An involution.
const std::vector<int64_t>& coco_wholebody_flip_indices();

// The names a DWPose file's tensors load under. The released dw-ll_ucoco_384.pth is an mmengine
// checkpoint: load_state_dict flattens it to "state_dict.<key>" plus whatever tensors "meta"
// holds; then "state_dict.X" -> "X" and every other entry -> "" (ignored). A file without any
// "state_dict." name is taken as a plain state dict (names unchanged).
NameMapper dwpose_name_mapper(const StateDict& file);

// Copies a DWPose file's tensors (as load_state_dict returns them) into net by exact name
// (dwpose_name_mapper); throws Error(source, ...) listing every missing, unexpected or
// mis-shaped tensor.
void load_dwpose_weights(nn::RTMPose& net, const StateDict& file, const std::string& source);

// Builds DWPose's RTMPose-l (nn::RTMPoseConfig defaults), loads the file strictly and makes it
// ready: on `device` in `dtype`, eval mode, no gradients. Throws Error naming the file when it
// cannot be read or its tensors do not fit. Avatar creation passes kFloat32 whatever its
// precision: the keypoints are argmax decisions, and in bf16 (1.6x faster on an AVX-512 CPU) the
// parity fixture's SimCC drifted by 12% of its largest logit and 17 of 133 keypoints jumped by
// up to 244 input pixels.
nn::RTMPose load_dwpose(const std::string& path, torch::Device device, torch::ScalarType dtype);

// warped_bgr: (B, H, W, 3) uint8 BGR crops (warp_for_pose's images stacked), any device ->
// (B, 3, H, W) RGB (x - kPoseMean) / kPoseStd, computed in float32 and returned on `device` in
// `dtype`. Throws Error for another shape or dtype.
torch::Tensor normalize_pose_input(const torch::Tensor& warped_bgr, torch::Device device,
                                   torch::ScalarType dtype);

// A head's SimCC output: x (B, K, Wx), y (B, K, Wy) logits over half-pixel bins.
struct Simcc {
  torch::Tensor x, y;
};

// flip_vectors: the output for the horizontally flipped input mapped back to the original
// keypoints: x re-indexed by flip_indices and reversed along the bins, y re-indexed.
Simcc flip_back(const Simcc& flipped, const std::vector<int64_t>& flip_indices);

// RTMCCHead.predict's flip-test average: (plain + flip_back(flipped)) * 0.5, in their dtype.
Simcc flip_average(const Simcc& plain, const Simcc& flipped,
                   const std::vector<int64_t>& flip_indices);

// input: (B, 3, H, W) normalised, in the network's dtype and device. The network on input and on
// input.flip(-1), then flip_average.
Simcc flip_test(nn::RTMPose& net, const torch::Tensor& input,
                const std::vector<int64_t>& flip_indices = coco_wholebody_flip_indices());

struct PoseKeypoints {
  torch::Tensor keypoints;  // (B, K, 2) float32 (x, y), pixels (input or image, see below)
  torch::Tensor scores;     // (B, K) in the SimCC's dtype: min(max x logit, max y logit)
};

// SimCCLabel.decode (use_dark off): per keypoint the argmax bins (first on ties), score =
// min(max_x, max_y); where score <= 0 the location is -1; then / split_ratio. Keypoints in input
// pixels (CPU or the SimCC's device), e.g. bin 301 -> 150.5, a non-positive score -> -0.5.
PoseKeypoints decode_simcc(const Simcc& simcc, double split_ratio = 2.0);

// Input-pixel keypoints (B, K, 2) -> image pixels by the warp (PoseWarp::image_x/image_y in
// float64, returned as float32).
torch::Tensor keypoints_to_image(const torch::Tensor& keypoints, const PoseWarp& warp);

// The whole step: warped_bgr (B, input_h, input_w, 3) uint8 BGR crops, all made with `warp`
// (frames of one video share it) -> keypoints (B, K, 2) float32 in image pixels and scores (B, K)
// in the network's dtype, with the flip test. Runs on the network's device and dtype without
// gradients. Throws Error when the crop size is not the warp's input size or the network's
// keypoint count is not the flip map's.
PoseKeypoints estimate_keypoints(nn::RTMPose& net, const torch::Tensor& warped_bgr,
                                 const PoseWarp& warp);

}  // namespace musetalk::face
