// musetalk: create avatars, render videos, stream, and manage model files.
#include <iostream>

#include "commands.h"
#include "files/error.h"
#include "media/ffmpeg_util.h"

int main(int argc, char** argv) {
  musetalk::media::log_errors_only();
  CLI::App app{"musetalk: real-time lip-sync avatars (MuseTalk v1.5)"};
  app.require_subcommand(1);
  musetalk::tools::CommandRunner run;
  musetalk::tools::add_models_command(app, run);
  musetalk::tools::add_avatar_command(app, run);
  musetalk::tools::add_render_command(app, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return run ? run() : 0;
  } catch (const musetalk::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
