// Parity kind "bisenet": BiSeNet face parsing on the stored normalised 512 x 512 input, with the
// synthetic weights loaded by their 79999_iter.pth names: the main head's logits sampled every
// 16th pixel, on the case's device in its dtype, and the per-pixel argmax as
// face::parse_faces takes it, from a float32 network (face/face_parser.h load_bisenet: avatar
// creation parses in float32, as upstream's FaceParsing does).
#include "nn/bisenet.h"
#include "parity/parity_case.h"
#include "torch_io/strict_load.h"

namespace musetalk::parity {
namespace {

using torch::indexing::None;
using torch::indexing::Slice;

void run_bisenet(Case& c) {
  const StateDict weights = c.weights();
  const StateDict io = c.io();
  const nlohmann::ordered_json* classes = files::json_find(c.manifest(), "n_classes");
  const int64_t n_classes = classes ? classes->get<int64_t>() : nn::BiSeNetImpl::kClasses;
  nn::BiSeNet net(n_classes);
  load_strict(*net, weights, c.name());
  c.make_ready(*net);
  torch::Tensor logits = net->forward(c.input(io["input"]))[0];  // (n_classes, H, W)
  c.check("logits_every16", logits.index({Slice(), Slice(None, None, 16), Slice(None, None, 16)}),
          io["logits_every16"]);

  if (c.precision().reduced()) {  // weights again, unrounded
    nn::BiSeNet full(n_classes);
    load_strict(*full, weights, c.name());
    full->to(c.precision().device, torch::kFloat32);
    full->eval();
    logits = full->forward(io["input"].to(c.precision().device, torch::kFloat32))[0];
  }
  c.check("argmax", logits.argmax(0).to(torch::kUInt8), io["argmax"]);
}

}  // namespace

REGISTER_PARITY_KIND("bisenet", run_bisenet, /*runs_networks=*/true, /*waivers=*/{},
                     /*full_precision=*/
                     {{"argmax",
                       "labels come from a float32 BiSeNet whatever the precision, as in "
                       "upstream's FaceParsing (face/face_parser.h load_bisenet); in bf16 2% "
                       "of the fixture's pixels change label"}});

}  // namespace musetalk::parity
