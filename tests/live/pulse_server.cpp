#include "pulse_server.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace musetalk::test {
namespace {

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

pid_t spawn_process(const std::vector<std::string>& argv, const std::string& stdout_path) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  std::string out = stdout_path.empty() ? "/dev/null" : stdout_path;
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  return pid;
}

// Waits up to timeout for pid to exit; its status, or -1 when it still runs.
int wait_for(pid_t pid, std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0) return 255;  // not our child (any more)
    if (std::chrono::steady_clock::now() >= until) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void end_process(pid_t pid, int signal) {
  if (pid <= 0) return;
  kill(pid, signal);
  if (wait_for(pid, std::chrono::seconds(2)) < 0) {
    kill(pid, SIGKILL);
    wait_for(pid, std::chrono::seconds(2));
  }
}

}  // namespace

std::string PulseServer::missing_tools() {
  std::string missing;
  if (!on_path("pulseaudio")) missing += "pulseaudio (Debian package pulseaudio) ";
  for (const char* tool : {"pactl", "parec", "paplay"}) {
    if (!on_path(tool)) missing += std::string(tool) + " (Debian package pulseaudio-utils) ";
  }
  return missing;
}

PulseServer::PulseServer() {
  socket_ = dir_.file("native");
  auto set = [this](const char* name, const std::string& value) {
    const char* old = std::getenv(name);
    saved_env_.emplace_back(name, old ? old : "\1");
    setenv(name, value.c_str(), 1);
  };
  set("PULSE_RUNTIME_PATH", dir_.path().string());
  set("PULSE_STATE_PATH", dir_.file("state"));
  set("PULSE_SERVER", "unix:" + socket_);
  set("PULSE_SINK", "voice");
  set("PULSE_SOURCE", "fakemic.monitor");

  try {
    start();
  } catch (...) {
    shutdown();
    throw;
  }
}

void PulseServer::start() {
  daemon_ = spawn_process(
      {"pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit", "-n",
       "--load=module-native-protocol-unix auth-anonymous=1 socket=" + socket_,
       "--load=module-null-sink sink_name=both rate=48000 channels=2",
       "--load=module-remap-sink sink_name=fakemic master=both channels=1 channel_map=mono "
       "master_channel_map=front-left remix=no",
       "--load=module-remap-sink sink_name=voice master=both channels=1 channel_map=mono "
       "master_channel_map=front-right remix=no",
       "--log-target=file:" + dir_.file("log")},
      {});
  auto fail = [this](const std::string& why) {
    throw std::runtime_error("PulseAudio: " + why + "\n" + log());
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (run({"pactl", "info"}) != 0) {
    if (wait_for(daemon_, std::chrono::milliseconds(0)) >= 0) {
      daemon_ = -1;
      fail("the server exited");
    }
    if (std::chrono::steady_clock::now() > deadline) fail("not ready after 10 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (run({"pactl", "set-default-sink", "voice"}) != 0 ||
      run({"pactl", "set-default-source", "fakemic.monitor"}) != 0)
    fail("cannot set the default sink and source");
  spawn({"parec", "-d", "both.monitor", "--latency-msec=10", "--raw", "--channels=2"});
  while (true) {
    std::string sinks;
    run({"pactl", "list", "sinks"}, &sinks);
    bool low = sinks.find("Latency:") != std::string::npos;
    std::istringstream lines(sinks);
    std::string line;
    while (std::getline(lines, line)) {
      auto at = line.find("Latency: ");
      if (at != std::string::npos && std::atol(line.c_str() + at + 9) > 100000) low = false;
    }
    if (low) break;
    if (std::chrono::steady_clock::now() > deadline) fail("the sinks' latency stays high");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

PulseServer::~PulseServer() {
  shutdown();
}

void PulseServer::shutdown() {
  for (pid_t pid : children_) end_process(pid, SIGINT);
  children_.clear();
  end_process(daemon_, SIGTERM);
  daemon_ = -1;
  for (auto it = saved_env_.rbegin(); it != saved_env_.rend(); ++it) {
    if (it->second == "\1")
      unsetenv(it->first.c_str());
    else
      setenv(it->first.c_str(), it->second.c_str(), 1);
  }
  saved_env_.clear();
}

int PulseServer::run(const std::vector<std::string>& argv, std::string* output) const {
  std::string out_path = output ? dir_.file("run-output") : std::string();
  pid_t pid = spawn_process(argv, out_path);
  int status = wait_for(pid, std::chrono::seconds(30));
  if (status < 0) {
    end_process(pid, SIGKILL);
    status = 255;
  }
  if (output) *output = read_file(out_path);
  return status;
}

pid_t PulseServer::spawn(const std::vector<std::string>& argv, const std::string& stdout_path) {
  pid_t pid = spawn_process(argv, stdout_path);
  children_.push_back(pid);
  return pid;
}

void PulseServer::stop(pid_t pid) {
  for (auto it = children_.begin(); it != children_.end(); ++it) {
    if (*it == pid) {
      children_.erase(it);
      end_process(pid, SIGINT);
      return;
    }
  }
}

std::string PulseServer::log() const {
  return read_file(dir_.file("log"));
}

}  // namespace musetalk::test
