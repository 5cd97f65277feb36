// musetalk: create avatars, render videos, stream, and manage model files.
#include <iostream>

#include "commands.h"
#include "error_report.h"
#include "host/caching_cpu_allocator.h"
#include "host/runtime_report.h"
#include "media/ffmpeg_util.h"

int main(int argc, char** argv) {
  musetalk::media::log_errors_only();
  musetalk::host::use_caching_cpu_allocator();
  CLI::App app{"musetalk: real-time lip-sync avatars (MuseTalk v1.5)"};
  app.require_subcommand(1);
  // The version and what it runs on, so a bug report carries them (MUSETALK_VERSION comes from
  // CMake's project() version).
  app.set_version_flag("--version", [] {
    std::string report = musetalk::host::runtime_report();
    report.pop_back();  // CLI11 ends the text with its own newline
    return std::string("musetalk ") + MUSETALK_VERSION + "\n" + report;
  });
  musetalk::tools::CommandRunner run;
  musetalk::tools::add_models_command(app, run);
  musetalk::tools::add_avatar_command(app, run);
  musetalk::tools::add_render_command(app, run);
  musetalk::tools::add_stream_command(app, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return run ? run() : 0;
  } catch (...) {
    const char* memory_fix = app.got_subcommand("render") ? musetalk::tools::kRenderMemoryFix
                                                          : musetalk::tools::kMemoryFix;
    return musetalk::tools::report_error(std::current_exception(), std::cerr, memory_fix);
  }
}
