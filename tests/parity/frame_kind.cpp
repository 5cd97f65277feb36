// Kind "frame": the generation step end to end (positional encoding, UNet at t = 0, VAE decode,
// BGR bytes) with the weights of the manifests it names, as MuseTalk
// scripts/realtime_inference.py Avatar.inference and musetalk/models/vae.py VAE.decode_latents do
// it, on the case's device and dtype as render runs it.
#include "model/face_generator.h"
#include "parity/parity_case.h"
#include "torch_io/strict_load.h"

namespace musetalk::parity {
namespace {

void run_frame(Case& c) {
  Case unet_case = c.sibling(c.manifest().at("unet").get<std::string>());
  Case vae_case = c.sibling(c.manifest().at("vae").get<std::string>());

  nn::UNet2DConditionModel unet(nn::UNetConfig::from_json(unet_case.config()));
  load_strict(*unet, unet_case.weights(), unet_case.name());
  c.make_ready(*unet);
  unet->prepare();
  const nn::VaeConfig vae_config = nn::VaeConfig::from_json(vae_case.config());
  nn::AutoencoderKL vae(vae_config);
  load_strict(*vae, vae_case.weights(), vae_case.name(), nn::vae_name_mapper());
  c.make_ready(*vae);

  // generate_faces moves the stored float32 inputs to the models' device and dtype itself.
  StateDict io = c.io();
  GeneratedFaces faces =
      generate_faces(unet, vae, vae_config.scaling_factor, io["audio"], io["latents"]);
  c.check("pred_latents", faces.latents, io["pred_latents"]);
  c.check("bgr", faces.bgr, io["bgr"]);
}

REGISTER_PARITY_KIND("frame", run_frame, /*runs_networks=*/true, /*waivers=*/{});

}  // namespace
}  // namespace musetalk::parity
