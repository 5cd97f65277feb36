#pragma once
// Runs the musetalk binary (MUSETALK_TOOL, set by the cli_tests target) as a user would and
// captures its exit code and combined output.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace musetalk::test {

struct RunResult {
  int exit_code;
  std::string output;
};

inline RunResult run_tool(const std::string& args) {
  const std::string cmd = std::string(MUSETALK_TOOL) + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return {-1, "popen failed"};
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace musetalk::test
