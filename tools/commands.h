#pragma once
// The musetalk tool's subcommands. Each add_*_command registers its options on the app and
// sets `run` to the function that carries it out (returning the process exit code).

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "files/model_layout.h"

namespace musetalk::tools {

using CommandRunner = std::function<int()>;

void add_models_command(CLI::App& app, CommandRunner& run);
// `models download`, registered by add_models_command on the `models` subcommand.
void add_models_download_command(CLI::App& models, CommandRunner& run);
// `models export`, registered by add_models_command on the `models` subcommand.
void add_models_export_command(CLI::App& models, CommandRunner& run);
void add_render_command(CLI::App& app, CommandRunner& run);
// render's fix line for running out of memory (its --batch and --precision), for report_error.
extern const char* const kRenderMemoryFix;
void add_avatar_command(CLI::App& app, CommandRunner& run);
// `avatar create`, registered by add_avatar_command on the `avatar` subcommand.
void add_avatar_create_command(CLI::App& avatar, CommandRunner& run);
void add_stream_command(CLI::App& app, CommandRunner& run);

// files::model_files_for(job) for `models check|download --for JOB`: its Error names the option
// ("--for JOB") rather than the setting.
std::vector<files::ModelFile> model_files_for_option(const std::string& job);

}  // namespace musetalk::tools
