#pragma once
// The musetalk tool's subcommands. Each add_*_command registers its options on the app and
// sets `run` to the function that carries it out (returning the process exit code).

#include <CLI/CLI.hpp>

#include <functional>

namespace musetalk::tools {

using CommandRunner = std::function<int()>;

void add_models_command(CLI::App& app, CommandRunner& run);
// `models download`, registered by add_models_command on the `models` subcommand.
void add_models_download_command(CLI::App& models, CommandRunner& run);
void add_render_command(CLI::App& app, CommandRunner& run);
void add_avatar_command(CLI::App& app, CommandRunner& run);

}  // namespace musetalk::tools
