// Kind "frame": the generation step end to end (positional encoding, UNet at t = 0, VAE decode,
// BGR bytes) with the weights of the manifests it names (spec 5.2-5.3).
#include "audio/positional_encoding.h"
#include "model/face_generator.h"
#include "model/strict_load.h"
#include "parity/parity_case.h"

namespace musetalk::parity {
namespace {

void run_frame(Case& c) {
  Case unet_case = c.sibling(c.manifest().at("unet").as_string());
  Case vae_case = c.sibling(c.manifest().at("vae").as_string());

  nn::UNet2DConditionModel unet(nn::UNetConfig::from_json(unet_case.config()));
  load_strict(*unet, unet_case.weights(), unet_case.name());
  unet->prepare();
  const nn::VaeConfig vae_config = nn::VaeConfig::from_json(vae_case.config());
  nn::AutoencoderKL vae(vae_config);
  load_strict(*vae, vae_case.weights(), vae_case.name(), nn::vae_name_mapper());

  StateDict io = c.io();
  GeneratedFaces faces =
      generate_faces(unet, vae, vae_config.scaling_factor, io["audio"], io["latents"]);
  c.check("pred_latents", faces.latents, io["pred_latents"]);
  c.check("bgr", faces.bgr, io["bgr"]);
}

REGISTER_PARITY_KIND("frame", run_frame);

}  // namespace
}  // namespace musetalk::parity
