// Parity kind "s3fd": the S3FD network (face_alignment/detection/sfd/net_s3fd.py s3fd) with
// synthetic weights loaded by their s3fd-619a316812.pth names through the strict loader, on the
// case's device and dtype; the raw class scores and box regressions of all six levels for the
// stored, already preprocessed input are compared (out0..out11 = cls0, reg0, ..., cls5, reg5).
#include <string>
#include <vector>

#include "nn/s3fd.h"
#include "parity/parity_case.h"
#include "torch_io/strict_load.h"

namespace musetalk::parity {
namespace {

void run_s3fd(Case& c) {
  nn::S3FD net;
  load_strict(*net, c.weights(), c.name() + " weights");
  c.make_ready(*net);

  const StateDict io = c.io();
  const std::vector<torch::Tensor> outputs = net->forward(c.input(io["input"]));
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string name = "out" + std::to_string(i);
    c.check(name, outputs[i], io[name]);
  }
}

}  // namespace

REGISTER_PARITY_KIND("s3fd", run_s3fd, /*runs_networks=*/true, /*waivers=*/{});

}  // namespace musetalk::parity
