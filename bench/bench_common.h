#pragma once
// What the benchmarks share: the settings a figure belongs to (recorded in their JSON) and
// main()'s error report.

#include <torch/torch.h>

#include <cstdio>
#include <functional>

#include "files/error.h"
#include "files/json_file.h"

namespace musetalk::bench {

// {"device", "dtype", "threads", "torch"} of this run.
inline nlohmann::ordered_json run_settings(const torch::Device& device, torch::ScalarType dtype) {
  return {{"device", device.str()},
          {"dtype", c10::toString(dtype)},
          {"threads", torch::get_num_threads()},
          {"torch", TORCH_VERSION}};
}

// Runs a benchmark; an Error is printed as "error: ..." and gives exit code 1.
inline int report_errors(const std::function<int()>& run) {
  try {
    return run();
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

}  // namespace musetalk::bench
