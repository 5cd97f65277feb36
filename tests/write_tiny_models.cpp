// write_tiny_models DIR [--with-create]: writes the tests' tiny model set (tiny_model_set.h: the
// fixtures' tiny UNet and VAE, whisper-tiny, synthetic weights, released file formats) to DIR, so
// a whole `musetalk render` can be measured in seconds (bench/RESULTS.md). --with-create adds
// avatar creation's S3FD, DWPose and BiSeNet at their real sizes (synthetic weights).
#include <cstdio>
#include <cstring>
#include <exception>

#include "tiny_model_set.h"

int main(int argc, char** argv) {
  const bool with_create = argc == 3 && std::strcmp(argv[2], "--with-create") == 0;
  if (argc != 2 && !with_create) {
    std::fprintf(stderr, "usage: write_tiny_models DIR [--with-create]\n");
    return 2;
  }
  try {
    musetalk::test::write_tiny_model_set(argv[1]);
    if (with_create) musetalk::test::write_avatar_creation_models(argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
