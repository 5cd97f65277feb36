// write_tiny_models DIR: writes the tests' tiny model set (tiny_model_set.h: the fixtures' tiny
// UNet and VAE, whisper-tiny, synthetic weights, released file formats) to DIR, so a whole
// `musetalk render` can be measured in seconds (bench/RESULTS.md).
#include <cstdio>
#include <exception>

#include "tiny_model_set.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_tiny_models DIR\n");
    return 2;
  }
  try {
    musetalk::test::write_tiny_model_set(argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
