// Kind "blend": the paste-back of MuseTalk scripts/realtime_inference.py Avatar.process_frames
// and musetalk/utils/blending.py get_image_blending (crop box, cv2 INTER_LINEAR resize of the
// face, PIL mask blend), and the blending masks of avatar creation made from BiSeNet's labels
// (blending.py get_image_prepare_material, one per face-parsing mode).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <functional>

#include "media/face_mask.h"
#include "parity/parity_case.h"
#include "parity/parity_run.h"
#include "pipeline/compositor.h"
#include "test_support.h"

namespace musetalk::parity {
namespace {

pipeline::Box box_from(const torch::Tensor& t) {
  const torch::Tensor b = t.to(torch::kCPU, torch::kInt64).contiguous();
  const int64_t* v = b.data_ptr<int64_t>();
  return {static_cast<int>(v[0]), static_cast<int>(v[1]), static_cast<int>(v[2]),
          static_cast<int>(v[3])};
}

torch::Tensor box_tensor(const pipeline::Box& b) {
  return torch::tensor(std::vector<int64_t>{b.x1, b.y1, b.x2, b.y2});
}

// A (H, W) uint8 tensor as a grey media::Image, and back.
media::Image grey_image(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kCPU, torch::kUInt8).contiguous();
  media::Image img;
  img.height = static_cast<int>(c.size(0));
  img.width = static_cast<int>(c.size(1));
  img.channels = 1;
  img.pixels.resize(static_cast<size_t>(c.numel()));
  std::memcpy(img.pixels.data(), c.data_ptr<uint8_t>(), img.pixels.size());
  return img;
}

torch::Tensor grey_tensor(const media::Image& img) {
  return torch::from_blob(const_cast<uint8_t*>(img.pixels.data()), {img.height, img.width},
                          torch::kUInt8)
      .clone();
}

void run_blend(Case& c) {
  StateDict io = c.io();
  const pipeline::Box box = box_from(io["box"]);
  const nlohmann::ordered_json& params = c.manifest().at("params");
  const double expand = params.at("expand").get<double>();
  const double upper = params.at("upper_boundary_ratio").get<double>();
  const media::Image labels = grey_image(io["labels512"]);
  for (const auto& item : params.at("cases").items()) {
    const pipeline::Box crop_box = pipeline::crop_box_for(box, expand);
    c.check("crop_box_" + item.key(), box_tensor(crop_box), io["crop_box_" + item.key()]);
    const media::Image mask = media::blend_mask(
        labels, box, crop_box, media::parse_parsing_mode(item.key(), "params.cases"),
        item.value().at("cheek_width").get<int>(), upper);
    c.check("mask_" + item.key(), grey_tensor(mask), io["mask_" + item.key()]);
  }
  torch::Tensor blended = pipeline::paste_face(io["frame_bgr"], io["face_box_bgr"], box,
                                               io["mask_jaw"], box_from(io["crop_box_jaw"]));
  c.check("blended_bgr", blended, io["blended_bgr"]);
}

REGISTER_PARITY_KIND("blend", run_blend, /*runs_networks=*/false, /*waivers=*/{});

// Runs check on every blend manifest of the fixtures folder (traced by name); skips the test when
// there is none.
void for_each_blend_case(const std::function<void(Case&)>& check) {
  int checked = 0;
  for (const std::string& path : manifest_paths(test::fixtures_dir())) {
    Case c(path);
    if (c.kind() != "blend") continue;
    SCOPED_TRACE(c.name());
    ++checked;
    check(c);
  }
  if (checked == 0) GTEST_SKIP() << "no blend manifest in " << test::fixtures_dir();
}

// The manifest has no tolerance of its own for the resize, so the blended image's one applies;
// the port reproduces OpenCV's fixed point, so it is also pinned to bit-exact.
TEST(BlendParity, ResizeFaceMatchesCv2InterLinear) {
  for_each_blend_case([](Case& c) {
    StateDict io = c.io();
    const pipeline::Box box = box_from(io["box"]);
    torch::Tensor got = pipeline::resize_face(io["face256_bgr"], box.width(), box.height());
    const torch::Tensor expected = io["face_box_bgr"];
    ASSERT_EQ(got.sizes(), expected.sizes());
    const torch::Tensor diff = (got.to(torch::kInt32) - expected.to(torch::kInt32)).abs();
    const double max_abs = diff.max().item<double>();
    const double differing = (diff > 0).to(torch::kFloat64).mean().item<double>();
    std::printf("%s resize_face vs cv2 face_box_bgr: max_abs %.3g  differing %.5f\n",
                c.name().c_str(), max_abs, differing);
    const nlohmann::ordered_json& tol = c.manifest().at("tolerance").at("blended_bgr");
    EXPECT_LE(max_abs, tol.at("max_abs").get<double>());
    EXPECT_LE(differing, tol.at("max_fraction_differing").get<double>());
    EXPECT_EQ(max_abs, 0) << "resize_face is no longer bit-exact with cv2.resize";
  });
}

// The masks reproduce PIL's fixed-point resampling and call OpenCV's own morphology and blur,
// so beyond the manifest's tolerance they are pinned to bit-exact.
TEST(BlendParity, MasksBitExact) {
  for_each_blend_case([](Case& c) {
    run_blend(c);
    for (const Comparison& r : c.results()) {
      if (r.output.rfind("mask_", 0) != 0) continue;
      EXPECT_TRUE(r.compared) << r.output << ": " << r.problem;
      EXPECT_EQ(r.max_abs, 0) << r.output << " is no longer bit-exact with upstream";
    }
  });
}

}  // namespace
}  // namespace musetalk::parity
