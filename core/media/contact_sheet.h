#pragma once
// The preview sheet `musetalk avatar create` writes beside an avatar (preview.png): a few frames,
// each cut around its mask's crop box, with the mask tinted red, the face box in green and the
// crop box in blue, so that a user sees at a glance whether the boxes sit on the face.

#include <string>
#include <vector>

#include "avatar/avatar.h"
#include "media/image_io.h"

namespace musetalk::media {

struct SheetTile {
  Image frame;           // BGR, the whole frame
  avatar::Box face_box;  // inside the frame
  avatar::Box crop_box;  // the mask's crop box; may leave the frame
  Image mask;            // grey, crop_box.width() x crop_box.height()
  std::string label;     // drawn in the tile's corner ("frame 12")
};

// Tiles side by side in rows of up to `columns`, each tile_size x tile_size pixels (the region
// around the crop box, scaled to fit, black outside the frame). Returns a BGR image. Throws Error
// when a tile's mask size does not match its crop box or a box is empty.
Image contact_sheet(const std::vector<SheetTile>& tiles, int tile_size = 256, int columns = 4);

}  // namespace musetalk::media
