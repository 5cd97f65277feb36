#pragma once
// The blending mask of every kept frame (MuseTalk musetalk/utils/blending.py
// get_image_prepare_material): the square crop box around the face box, BiSeNet face parsing of
// the crop resized to 512x512, and the mode's mask rules (media/face_mask.h).

#include <vector>

#include "create/create_options.h"
#include "create/source_frames.h"

namespace musetalk::create {

struct FrameMask {
  avatar::Box crop_box;  // may leave the frame
  std::string png;       // the mask, crop_box-sized grey PNG in the scratch folder
};

// One entry per frame; frames with a `dropped` reason get an empty entry. Loads BiSeNet from
// models.bisenet on options.device in float32 and reports stage "parsing".
std::vector<FrameMask> make_face_masks(const CreateOptions& options, const CreateModelPaths& models,
                                       const std::vector<SourceFrame>& frames,
                                       const ScratchFolder& scratch);

}  // namespace musetalk::create
