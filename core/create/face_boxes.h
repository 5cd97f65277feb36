#pragma once
// The face box of every source frame (spec: MuseTalk musetalk/utils/preprocessing.py
// get_landmark_and_bbox): S3FD on the full frame, DWPose's 68 face points on the whole image,
// the box from the points with the detector's box as fallback (avatar/face_box_rules.h); or the
// user's fixed box for every frame. Frames without a usable box are marked dropped, so they leave
// the cycle with their frame, mask and latent alike.

#include <vector>

#include "avatar/face_box_rules.h"
#include "create/create_options.h"
#include "create/source_frames.h"

namespace musetalk::create {

// Fills each frame's face_box, box_source, dropped and warnings. With options.box every frame
// gets that box (checked against the frame size, Error naming --box otherwise). Otherwise loads
// S3FD and DWPose from `models` one after the other (each released before the next loads) on
// options.device in float32, and reports the stages "detect" and "landmarks". Returns the
// 68 face points of every frame with a detected face (for the bbox_shift range); empty with a
// given box. seconds gets the two stages' times.
std::vector<avatar::FaceLandmarks> find_face_boxes(const CreateOptions& options,
                                                   const CreateModelPaths& models,
                                                   const media::VideoInfo& info,
                                                   std::vector<SourceFrame>& frames,
                                                   StageSeconds& seconds);

}  // namespace musetalk::create
