// Parity kind "vae": AutoencoderKL built from the manifest's config, synthetic weights loaded
// through the same strict loader and name mapping as the real sd-vae-ft-mse file and moved to
// the case's device and dtype; the posterior's mean and log-variance of the stored image and the
// decoding of the stored latents are compared.
#include "nn/vae.h"
#include "parity/parity_case.h"
#include "torch_io/strict_load.h"

namespace musetalk::parity {
namespace {

void run_vae(Case& c) {
  const nn::VaeConfig config = nn::VaeConfig::from_json(c.config());
  nn::AutoencoderKL vae(config);
  load_strict(*vae, c.weights(), c.name() + " weights", nn::vae_name_mapper());
  c.make_ready(*vae);

  const StateDict io = c.io();
  auto [mean, logvar] = vae->encode(c.input(io["image"]));
  c.check("latent_mean", mean, io["latent_mean"]);
  c.check("latent_logvar", logvar, io["latent_logvar"]);
  c.check("decoded", vae->decode(c.input(io["z_scaled"]) / config.scaling_factor), io["decoded"]);
}

}  // namespace

REGISTER_PARITY_KIND("vae", run_vae, /*runs_networks=*/true, /*waivers=*/{});

}  // namespace musetalk::parity
