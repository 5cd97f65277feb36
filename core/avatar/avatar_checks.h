#pragma once
// The checks every loaded avatar passes, whatever its layout.

#include <cstddef>
#include <string>
#include <vector>

#include "avatar/avatar.h"

namespace musetalk::avatar {

// The paths dir/00000000.png .. dir/%08d.png of count frames. Throws Error naming the first
// missing file ("<what> N is missing") and, when the folder holds further numbered PNGs, a count
// mismatch naming count_source (the file the count came from).
std::vector<std::string> numbered_pngs(const std::string& dir, size_t count,
                                       const std::string& what, const std::string& count_source);

// Throws Error naming path when it is not a file; layout lists what the folder should hold.
void require_file(const std::string& path, const std::string& layout);

// "" when no face box is upstream's (0, 0, 0, 0) "no face found" placeholder; otherwise why they
// matter to a count of latents: how many frames have it (and the first few), and whether they
// account for the latents being that many fewer than the face boxes (upstream MuseTalk makes no
// latent for a placeholder frame).
std::string placeholder_note(const std::vector<Box>& face_boxes, size_t latents);

// The fix for a latent count that placeholder frames explain.
extern const char* const kPlaceholderFix;

// Checks that the per-frame lists agree in length, every frame PNG has one size (which sets
// frame_width/frame_height, or must match them when already set), every face box lies inside
// the frame, every mask PNG is its crop box's size and the latents are (2N, 8, 32, 32).
// Throws Error naming the file and frame at fault.
void check_avatar(Avatar& avatar);

}  // namespace musetalk::avatar
