#include "host/cpu_threads.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <thread>

namespace musetalk::host {

void set_cpu_threads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
}

}  // namespace musetalk::host
