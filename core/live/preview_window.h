#pragma once
// The live stream in a desktop window (SDL2): each frame shown as it comes, scaled to the window
// with black bars where the aspect differs, and the user's wish to stop (closing the window, Esc
// or q) reported through closed(). Torch-free.
//
// Every SDL call happens on the thread that calls write(): the window opens on the first frame
// and closes in finish() or the destructor, which must run on that same thread. SDL picks the
// video driver itself (X11 or Wayland in a desktop session; SDL 2.26 falls back to its
// "offscreen" driver when neither DISPLAY nor WAYLAND_DISPLAY is set); SDL_VIDEODRIVER overrides
// it. SDL's SIGINT/SIGTERM handlers are turned off (SDL_HINT_NO_SIGNAL_HANDLERS, process-wide), so
// Ctrl-C stays the host program's.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "stream/stream_frame.h"

namespace musetalk::live {

// "MuseTalk – NAME" (an en dash, UTF-8), or "MuseTalk" when avatar_name is empty.
std::string preview_title(const std::string& avatar_name);

class PreviewWindow : public stream::FrameOutput {
 public:
  // title: the window's title, UTF-8 (see preview_title). Nothing is opened yet.
  explicit PreviewWindow(std::string title);
  // Closes the window; call it on the thread that wrote the frames.
  ~PreviewWindow() override;
  PreviewWindow(const PreviewWindow&) = delete;
  PreviewWindow& operator=(const PreviewWindow&) = delete;

  // Handles the window's pending events, then shows the frame. The first frame starts SDL's video
  // and opens a resizable window at the frame's size (smaller when the screen is); a frame of
  // another size replaces the picture and keeps the window. Once closed() is true the window is
  // gone and frames are ignored. Throws musetalk::Error when SDL's video, the window or its
  // renderer cannot start (with what to do, e.g. run in a desktop session).
  void write(const stream::FrameView& frame) override;
  // Starts SDL's video now, on the thread that will write, so that a missing display is reported
  // before anything slow starts; the window still opens on the first frame. Throws as write().
  void start_video();
  // Closes the window and releases SDL's video. write() may open a new one afterwards.
  void finish() override;

  // True once the user closed the window, pressed Esc or q, or SDL reported a quit request
  // (SDL_QUIT). Readable from any thread.
  bool closed() const { return closed_.load(); }

  // For tests and diagnostics, on the writing thread, after a write(). The SDL driver in use, e.g.
  // "x11" or "offscreen".
  std::string video_driver() const;
  // SDL's id of the window (SDL_GetWindowFromID), 0 when none is open.
  uint32_t window_id() const;
  // Draws the last frame again and reads the window's pixels back, letterbox bars included:
  // packed BGR24, width * 3 bytes per row. Empty when no window is open.
  std::vector<uint8_t> read_back_bgr(int& width, int& height);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> closed_{false};
};

}  // namespace musetalk::live
