#pragma once
// What the benchmarks share: the settings a figure belongs to (recorded in their JSON) and
// main()'s error report.

#include <torch/torch.h>

#include <cstdio>
#include <functional>

#include "files/error.h"
#include "files/json.h"

namespace musetalk::bench {

// {"device", "dtype", "threads", "torch"} of this run.
inline files::Json run_settings(const torch::Device& device, torch::ScalarType dtype) {
  files::Json json = files::Json::object();
  json.set("device", files::Json::string(device.str()));
  json.set("dtype", files::Json::string(c10::toString(dtype)));
  json.set("threads", files::Json::integer(torch::get_num_threads()));
  json.set("torch", files::Json::string(TORCH_VERSION));
  return json;
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
