// Parity kind "unet": the UNet built from the manifest's config, the synthetic weights loaded
// by name, moved to the case's device and dtype, run at t = 0 on the stored latents and
// positional-encoded audio features.
#include "nn/unet.h"
#include "parity/parity_case.h"
#include "torch_io/strict_load.h"

namespace musetalk::parity {
namespace {

void run_unet(Case& c) {
  nn::UNet2DConditionModel unet(nn::UNetConfig::from_json(c.config()));
  load_strict(*unet, c.weights(), c.name());
  c.make_ready(*unet);
  unet->prepare();
  StateDict io = c.io();
  c.check("out", unet->forward(c.input(io["latents"]), c.input(io["audio_pe"])), io["out"]);
}

}  // namespace

REGISTER_PARITY_KIND("unet", run_unet, /*runs_networks=*/true, /*waivers=*/{});

}  // namespace musetalk::parity
