#pragma once
// Avatar creation from a video (MuseTalk scripts/realtime_inference.py Avatar.prepare_material,
// without Python): frames resampled to the avatar's rate, face boxes (S3FD + DWPose, or a given
// box), BiSeNet blending masks, VAE latents, the ping-pong cycle, written as the native cache
// (docs/avatar-format.md) with a preview sheet, all or nothing.

#include "create/create_options.h"

namespace musetalk::create {

// What check_create_inputs found: the video as it will be read, and the model files.
struct CreatePlan {
  media::VideoInfo video;
  CreateModelPaths models;
};

// Everything that can be checked before a model loads, each failure an Error naming the input and
// the fix: the option values (fps, batch, cheek width, bbox_shift only with v1, start and
// duration), the output folder (must not exist; its parent must), the video (probe_video: its
// streams and first frame), the given box against the frame size, and the model files the run
// needs (S3FD and DWPose only without a given box).
CreatePlan check_create_inputs(const CreateOptions& options);

// Runs every stage and writes the avatar to options.out atomically: a failure (an exception, no
// face in any frame) leaves neither the avatar nor the working files behind. Frames without a
// usable face box are left out of the cycle (frame, mask and latent alike) and reported. Throws
// Error naming the input at fault.
CreateSummary create_avatar(const CreateOptions& options, const CreatePlan& plan);

}  // namespace musetalk::create
