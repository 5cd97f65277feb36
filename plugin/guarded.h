#pragma once
// The MuseTalk Avatar source's C boundary: every function OBS calls (obs_source_info callbacks,
// signal handlers, the proc handler) and both thread bodies run their code through guarded(), so
// no C++ exception ever unwinds into libobs (a C library: an exception leaving a callback or a
// thread body ends OBS in std::terminate). A failure is logged with blog(LOG_ERROR) and handed to
// on_error, which puts it in the status line. The audio capture callback calls only noexcept
// code (CaptureBuffer::push), so it needs none.

#include <obs-module.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <string>
#include <thread>

namespace musetalk::obs_plugin {

// Logs "[musetalk-obs] <where>: <what>" at LOG_ERROR.
inline void log_failure(const char* where, const char* what) noexcept {
  blog(LOG_ERROR, "[musetalk-obs] %s: %s", where, what);
}

// Runs body(); returns true when it returned, false when it threw. Then the exception's what()
// (or "unknown failure") is logged, naming `where` (the callback, e.g. "update"), and passed to
// on_error(const std::string&); an exception from on_error itself is logged and dropped.
template <class Body, class OnError>
bool guarded(const char* where, Body&& body, OnError&& on_error) noexcept {
  const char* what = "unknown failure";
  std::string message;
  try {
    body();
    return true;
  } catch (const std::exception& e) {
    log_failure(where, e.what());
    try {
      message = e.what();
    } catch (...) {
      message.clear();
    }
  } catch (...) {
    log_failure(where, what);
  }
  try {
    on_error(message.empty() ? std::string(what) : message);
  } catch (const std::exception& e) {
    log_failure(where, e.what());
  } catch (...) {
    log_failure(where, what);
  }
  return false;
}

// guarded() where a failure is only logged.
template <class Body>
bool guarded(const char* where, Body&& body) noexcept {
  return guarded(where, static_cast<Body&&>(body), [](const std::string&) {});
}

// A thread body run through guarded() until it returns (a body returns once quit is set): when it
// throws, the failure goes to on_error and the body starts over after a second, unless quit was
// set meanwhile.
template <class Body, class OnError>
void run_restarting(const char* where, const std::atomic<bool>& quit, Body&& body,
                    OnError&& on_error) noexcept {
  while (!guarded(where, body, on_error)) {
    for (int i = 0; i < 10 && !quit; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (quit) return;
  }
}

}  // namespace musetalk::obs_plugin
