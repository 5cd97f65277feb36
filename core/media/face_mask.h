#pragma once
// The blending mask of avatar creation around BiSeNet face parsing, without the network: the
// network's input image (MuseTalk musetalk/utils/blending.py get_image_prepare_material: the
// PIL crop of the frame to the crop box, then musetalk/utils/face_parsing/__init__.py
// FaceParsing.__call__: the PIL BILINEAR resize to 512x512), and the mask made from the
// network's 512x512 argmax labels (FaceParsing.__call__'s mode rules, then
// get_image_prepare_material: PIL BICUBIC resize back to the crop's size, the face box kept, the
// upper half cut, cv2.GaussianBlur). PIL's resampling is reproduced by media/pil_resize.h; the
// morphology and the blur are OpenCV's own, as upstream calls them.

#include <string>

#include "avatar/avatar.h"
#include "media/image_io.h"

namespace musetalk::media {

// The BiSeNet input: body.crop(crop_box) of the frame as RGB (pixels outside the frame are
// black, as PIL's crop fills them), resized to 512x512 with PIL BILINEAR (antialiased when the
// crop is larger). frame_bgr: channels 3, BGR. crop_box: frame pixels [x1, x2) x [y1, y2), may
// leave the frame (pipeline::crop_box_for, upstream get_crop_box).
// Returns a 512x512 image with channels 3 in RGB order (R first, unlike the BGR media::Image
// usually holds), ready for ToTensor and the ImageNet normalisation.
// Throws musetalk::Error when the frame is not a non-empty 3-channel image or the crop box is
// empty.
Image parsing_input(const Image& frame_bgr, const avatar::Box& crop_box);

// Which BiSeNet labels (CelebAMask-HQ: 1 skin, 10 nose, 11 mouth, 12/13 lips, 14 neck) the mask
// keeps; FaceParsing.__call__'s `mode`.
enum class ParsingMode {
  Jaw,   // skin dilated downward (cone kernel) and eroded at the cheeks, without the nose, plus
         // mouth and lips (v1.5's default)
  Raw,   // skin, mouth and lips: {1, 11, 12, 13}
  Neck,  // raw plus the neck: {1, 11, 12, 13, 14}
};

// "jaw", "raw", "neck".
const char* parsing_mode_name(ParsingMode mode);

// The mode named `value` ("jaw", "raw" or "neck"). Throws musetalk::Error naming `option` (the
// option or setting the value came from) and the accepted names otherwise.
ParsingMode parse_parsing_mode(const std::string& value, const std::string& option);

// The blending mask of get_image_prepare_material(frame, face_box, upper_boundary_ratio,
// expand, fp=FaceParsing(cheek_width, cheek_width), mode), from BiSeNet's labels:
//  1. the mode's binary map (0/255) of labels512; Jaw: cv2.dilate of the skin with the 33x33
//     cone kernel, cv2.erode (ellipse 35x3, 2 iterations) inside the cheek rectangles (columns
//     0..256-cheek_width and 256+cheek_width..511), the nose (10) removed, mouth and lips added;
//  2. PIL BICUBIC resize to the crop box's size;
//  3. only the face box kept (in crop coordinates), the rest black;
//  4. rows above int(height * upper_boundary_ratio) zeroed;
//  5. cv2.GaussianBlur with the square kernel int(0.1 * width // 2 * 2) + 1, sigma 0.
// labels512: 512x512, channels 1, the argmax labels 0..18. face_box: the face box in frame
// pixels; crop_box: its square crop box (pipeline::crop_box_for with expand 1.5 upstream; the
// mask covers it). cheek_width: the cheek rectangles' inset from the centre, 0..256 (upstream 90
// for v1.5, FaceParsing's default 80); only Jaw uses it. upper_boundary_ratio: 0..1.
// Returns crop_box.width() x crop_box.height(), channels 1, the mask upstream stores as
// mask/%08d.png.
// Throws musetalk::Error when labels512 is not a 512x512 grey image of labels 0..18, a box is
// empty, or cheek_width or upper_boundary_ratio is out of range.
Image blend_mask(const Image& labels512, const avatar::Box& face_box, const avatar::Box& crop_box,
                 ParsingMode mode, int cheek_width, double upper_boundary_ratio = 0.5);

}  // namespace musetalk::media
