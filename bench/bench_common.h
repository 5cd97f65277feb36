#pragma once
// What the benchmarks share: the settings a figure belongs to (recorded in their JSON) and
// main()'s error report.

#include <torch/torch.h>

#include <cstdio>
#include <functional>

#include "files/error.h"
#include "files/json_file.h"
#include "host/caching_cpu_allocator.h"
#include "host/cpu_threads.h"

namespace musetalk::bench {

// {"device", "dtype", "threads", "blas_threads", "torch", "allocator"} of this run; the
// allocator's counters are those at the time of the call.
inline nlohmann::ordered_json run_settings(const torch::Device& device, torch::ScalarType dtype) {
  const host::CpuAllocatorStats a = host::caching_cpu_allocator_stats();
  return {{"device", device.str()},
          {"dtype", c10::toString(dtype)},
          {"threads", torch::get_num_threads()},
          {"blas_threads", host::openblas_threads()},
          {"torch", TORCH_VERSION},
          {"allocator", a.installed ? nlohmann::ordered_json{{"kind", "caching"},
                                                             {"allocations", a.allocations},
                                                             {"reused", a.reused},
                                                             {"peak_bytes", a.peak_bytes}}
                                    : nlohmann::ordered_json{{"kind", "system"}}}};
}

// --allocator: "caching" (what the tool installs, host/caching_cpu_allocator.h) or
// "system" (LibTorch's default, glibc), to measure what the cache saves.
inline void use_allocator(const std::string& name) {
  if (name == "caching") {
    host::use_caching_cpu_allocator();
  } else if (name != "system") {
    throw Error("--allocator " + name, "unknown allocator", "use caching or system");
  }
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
