// Parity kind "unet": the UNet built from the manifest's config, the synthetic weights loaded
// by name, run at t = 0 on the stored latents and positional-encoded audio features.
#include "model/strict_load.h"
#include "nn/unet.h"
#include "parity/parity_case.h"

namespace musetalk::parity {
namespace {

void run_unet(Case& c) {
  nn::UNet2DConditionModel unet(nn::UNetConfig::from_json(c.config()));
  load_strict(*unet, c.weights(), c.name());
  unet->prepare();
  StateDict io = c.io();
  c.check("out", unet->forward(io["latents"], io["audio_pe"]), io["out"]);
}

}  // namespace

REGISTER_PARITY_KIND("unet", run_unet);

}  // namespace musetalk::parity
