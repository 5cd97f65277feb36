#include "create/face_masks.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "avatar/native_avatar.h"
#include "face/face_parser.h"
#include "media/image_io.h"
#include "pipeline/compositor.h"

namespace musetalk::create {

std::vector<FrameMask> make_face_masks(const CreateOptions& options, const CreateModelPaths& models,
                                       const std::vector<SourceFrame>& frames,
                                       const ScratchFolder& scratch) {
  torch::InferenceMode inference;
  nn::BiSeNet net = face::load_bisenet(models.bisenet, options.device, torch::kFloat32);
  const std::filesystem::path dir = scratch.file("masks");
  std::filesystem::create_directories(dir);

  std::vector<size_t> kept;
  for (size_t i = 0; i < frames.size(); ++i) {
    if (frames[i].report.dropped.empty()) kept.push_back(i);
  }
  std::vector<FrameMask> masks(frames.size());
  if (options.progress) options.progress("parsing", 0, static_cast<int64_t>(kept.size()));
  for (size_t begin = 0; begin < kept.size(); begin += options.batch) {
    const size_t end = std::min(kept.size(), begin + static_cast<size_t>(options.batch));
    std::vector<torch::Tensor> inputs;
    for (size_t k = begin; k < end; ++k) {
      const FrameReport& r = frames[kept[k]].report;
      FrameMask& m = masks[kept[k]];
      m.crop_box = pipeline::crop_box_for(*r.face_box);
      media::Image rgb = media::parsing_input(media::read_png(frames[kept[k]].png, 3), m.crop_box);
      inputs.push_back(
          torch::from_blob(rgb.pixels.data(), {rgb.height, rgb.width, 3}, torch::kUInt8).clone());
    }
    const torch::Tensor labels = face::parse_faces(net, torch::stack(inputs)).contiguous();
    for (size_t k = begin; k < end; ++k) {
      const size_t i = kept[k];
      media::Image label_map{512, 512, 1, {}};
      const torch::Tensor one = labels[static_cast<int64_t>(k - begin)];
      label_map.pixels.assign(one.data_ptr<uint8_t>(), one.data_ptr<uint8_t>() + 512 * 512);
      const media::Image mask =
          media::blend_mask(label_map, *frames[i].report.face_box, masks[i].crop_box,
                            options.parsing_mode, options.cheek_width);
      masks[i].png = (dir / avatar::cycle_png_name(i)).string();
      media::write_png(masks[i].png, mask);
    }
    if (options.progress) {
      options.progress("parsing", static_cast<int64_t>(end), static_cast<int64_t>(kept.size()));
    }
  }
  return masks;
}

}  // namespace musetalk::create
