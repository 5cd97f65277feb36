#include "face/pose_landmarks.h"

#include "files/error.h"

namespace musetalk::face {
namespace {

torch::Device module_device(torch::nn::Module& m) {
  for (const torch::Tensor& p : m.parameters()) return p.device();
  return torch::kCPU;
}

torch::ScalarType module_dtype(torch::nn::Module& m) {
  for (const torch::Tensor& p : m.parameters()) return p.scalar_type();
  return torch::kFloat32;
}

std::string shape_of(const torch::Tensor& t) {
  std::string s = "(";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + ")";
}

}  // namespace

const std::vector<int64_t>& coco_wholebody_flip_indices() {
  // Body 0-16, feet 17-22, face 23-90, left hand 91-111 <-> right hand 112-132.
  static const std::vector<int64_t> indices = {
      0,   2,   1,   4,   3,   6,   5,   8,   7,   10,  9,   12,  11,  14,  13,  16,  15,
      20,  21,  22,  17,  18,  19,  39,  38,  37,  36,  35,  34,  33,  32,  31,  30,  29,
      28,  27,  26,  25,  24,  23,  49,  48,  47,  46,  45,  44,  43,  42,  41,  40,  50,
      51,  52,  53,  58,  57,  56,  55,  54,  68,  67,  66,  65,  70,  69,  62,  61,  60,
      59,  64,  63,  77,  76,  75,  74,  73,  72,  71,  82,  81,  80,  79,  78,  87,  86,
      85,  84,  83,  90,  89,  88,  112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122,
      123, 124, 125, 126, 127, 128, 129, 130, 131, 132, 91,  92,  93,  94,  95,  96,  97,
      98,  99,  100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111};
  return indices;
}

NameMapper dwpose_name_mapper(const StateDict& file) {
  static const std::string prefix = "state_dict.";
  bool nested = false;
  for (const auto& item : file) nested |= item.key().rfind(prefix, 0) == 0;
  if (!nested) return {};
  return [](const std::string& name) {
    return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : std::string();
  };
}

void load_dwpose_weights(nn::RTMPose& net, const StateDict& file, const std::string& source) {
  load_strict(*net, file, source, dwpose_name_mapper(file));
}

nn::RTMPose load_dwpose(const std::string& path, torch::Device device, torch::ScalarType dtype) {
  const StateDict file = load_state_dict(path);  // a missing or damaged file fails first
  nn::RTMPose net;
  load_dwpose_weights(net, file, path);
  net->to(device, dtype);
  net->eval();
  for (torch::Tensor& p : net->parameters()) p.set_requires_grad(false);
  return net;
}

torch::Tensor normalize_pose_input(const torch::Tensor& warped_bgr, torch::Device device,
                                   torch::ScalarType dtype) {
  if (warped_bgr.dim() != 4 || warped_bgr.size(3) != 3 ||
      warped_bgr.scalar_type() != torch::kUInt8) {
    throw Error("pose input", "expected (B, H, W, 3) uint8 BGR crops, got " + shape_of(warped_bgr) +
                                  " " + c10::toString(warped_bgr.scalar_type()));
  }
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  // HWC -> CHW (PackPoseInputs), channels [2, 1, 0] (bgr_to_rgb), float, (x - mean) / std.
  torch::Tensor x = warped_bgr.to(device).permute({0, 3, 1, 2}).flip({1}).to(torch::kFloat32);
  const torch::Tensor mean = torch::tensor({kPoseMean[0], kPoseMean[1], kPoseMean[2]}, f32);
  const torch::Tensor std = torch::tensor({kPoseStd[0], kPoseStd[1], kPoseStd[2]}, f32);
  x = (x - mean.view({1, 3, 1, 1})) / std.view({1, 3, 1, 1});
  return x.contiguous().to(dtype);
}

Simcc flip_back(const Simcc& flipped, const std::vector<int64_t>& flip_indices) {
  const int64_t k = flipped.x.size(1);
  if (static_cast<int64_t>(flip_indices.size()) != k || flipped.y.size(1) != k) {
    throw Error("pose flip test",
                "the flip map has " + std::to_string(flip_indices.size()) +
                    " entries but the SimCC outputs " + shape_of(flipped.x) + " and " +
                    shape_of(flipped.y),
                "use a flip map with one entry per keypoint");
  }
  const torch::Tensor index =
      torch::tensor(flip_indices, torch::TensorOptions().dtype(torch::kInt64))
          .to(flipped.x.device());
  return {flipped.x.index_select(1, index).flip({-1}), flipped.y.index_select(1, index)};
}

Simcc flip_average(const Simcc& plain, const Simcc& flipped,
                   const std::vector<int64_t>& flip_indices) {
  const Simcc back = flip_back(flipped, flip_indices);
  return {(plain.x + back.x) * 0.5, (plain.y + back.y) * 0.5};
}

Simcc flip_test(nn::RTMPose& net, const torch::Tensor& input,
                const std::vector<int64_t>& flip_indices) {
  auto [x, y] = net->forward(input);
  auto [x_flip, y_flip] = net->forward(input.flip({-1}));
  return flip_average({x, y}, {x_flip, y_flip}, flip_indices);
}

PoseKeypoints decode_simcc(const Simcc& simcc, double split_ratio) {
  // get_simcc_maximum: argmax and max per keypoint, score = min of the two maxima; locations
  // are float32, -1 where the score is <= 0; SimCCLabel.decode then divides by the ratio.
  auto [max_x, arg_x] = simcc.x.max(-1);
  auto [max_y, arg_y] = simcc.y.max(-1);
  torch::Tensor locs = torch::stack({arg_x, arg_y}, -1).to(torch::kFloat32);
  torch::Tensor scores = torch::minimum(max_x, max_y);
  locs = locs.masked_fill((scores <= 0).unsqueeze(-1), -1.0f);
  return {locs / static_cast<float>(split_ratio), scores};
}

torch::Tensor keypoints_to_image(const torch::Tensor& keypoints, const PoseWarp& warp) {
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64).device(keypoints.device());
  const torch::Tensor size = torch::tensor(
      {static_cast<double>(warp.input_width), static_cast<double>(warp.input_height)}, f64);
  const torch::Tensor scale =
      torch::tensor({static_cast<double>(warp.scale[0]), static_cast<double>(warp.scale[1])}, f64);
  const torch::Tensor center = torch::tensor(
      {static_cast<double>(warp.center[0]), static_cast<double>(warp.center[1])}, f64);
  torch::Tensor kp = keypoints.to(torch::kFloat64);
  return (kp / size * scale + center - 0.5 * scale).to(torch::kFloat32);
}

PoseKeypoints estimate_keypoints(nn::RTMPose& net, const torch::Tensor& warped_bgr,
                                 const PoseWarp& warp) {
  if (warped_bgr.dim() != 4 || warped_bgr.size(1) != warp.input_height ||
      warped_bgr.size(2) != warp.input_width) {
    throw Error("pose input",
                "crops are " + shape_of(warped_bgr) + " but the warp makes " +
                    std::to_string(warp.input_height) + " x " + std::to_string(warp.input_width) +
                    " (h x w)",
                "warp the frames with warp_for_pose and the same PoseWarp");
  }
  const std::vector<int64_t>& flip = coco_wholebody_flip_indices();
  if (net->config().head.num_keypoints != static_cast<int64_t>(flip.size())) {
    throw Error("DWPose network", "it has " + std::to_string(net->config().head.num_keypoints) +
                                      " keypoints; the COCO-WholeBody flip map has " +
                                      std::to_string(flip.size()));
  }
  torch::NoGradGuard no_grad;
  const torch::Tensor input =
      normalize_pose_input(warped_bgr, module_device(*net), module_dtype(*net));
  PoseKeypoints out =
      decode_simcc(flip_test(net, input, flip), net->config().head.simcc_split_ratio);
  out.keypoints = keypoints_to_image(out.keypoints, warp);
  return out;
}

}  // namespace musetalk::face
