#include "live/preview_window.h"

#include <SDL.h>

#include <algorithm>
#include <cmath>

#include "files/error.h"

namespace musetalk::live {
namespace {

constexpr const char* kWindow = "preview window";

std::string sdl_error() {
  return SDL_GetError();
}

// The largest rectangle of the frame's aspect centred in an output of out_w x out_h pixels.
SDL_Rect letterbox(int frame_w, int frame_h, int out_w, int out_h) {
  double scale =
      std::min(static_cast<double>(out_w) / frame_w, static_cast<double>(out_h) / frame_h);
  int w = std::max(1, static_cast<int>(std::lround(frame_w * scale)));
  int h = std::max(1, static_cast<int>(std::lround(frame_h * scale)));
  return SDL_Rect{(out_w - w) / 2, (out_h - h) / 2, w, h};
}

}  // namespace

std::string preview_title(const std::string& avatar_name) {
  return avatar_name.empty() ? "MuseTalk" : "MuseTalk \xe2\x80\x93 " + avatar_name;
}

struct PreviewWindow::Impl {
  std::string title;
  bool video_started = false;
  SDL_Window* window = nullptr;
  SDL_Renderer* renderer = nullptr;
  SDL_Texture* texture = nullptr;
  int texture_w = 0, texture_h = 0;

  ~Impl() { close(); }

  void start_video() {
    if (video_started) return;
    // SDL installs SIGINT/SIGTERM handlers turning them into SDL_QUIT unless told not to
    // (SDL_hints.h SDL_HINT_NO_SIGNAL_HANDLERS); Ctrl-C belongs to the host program.
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0)
      throw Error(kWindow, "cannot start SDL's video (" + sdl_error() + ")",
                  "run it in a desktop session (DISPLAY or WAYLAND_DISPLAY set), or set "
                  "SDL_VIDEODRIVER=offscreen to run without a screen, or leave the preview out");
    video_started = true;
  }

  void open(int width, int height) {
    start_video();
    // A window larger than the usable screen area starts scaled down to 90% of it.
    SDL_Rect usable;
    int w = width, h = height;
    if (SDL_GetDisplayUsableBounds(0, &usable) == 0 && usable.w > 0 && usable.h > 0 &&
        (w > usable.w * 9 / 10 || h > usable.h * 9 / 10)) {
      SDL_Rect fit = letterbox(width, height, usable.w * 9 / 10, usable.h * 9 / 10);
      w = fit.w;
      h = fit.h;
    }
    window = SDL_CreateWindow(title.c_str(), SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, w, h,
                              SDL_WINDOW_RESIZABLE);
    if (!window)
      throw Error(kWindow, "cannot open a window (" + sdl_error() + ")",
                  "run it in a desktop session, or leave the preview out");
    // The first renderer that works, accelerated ones first; no vsync: write() must not wait for
    // the screen.
    renderer = SDL_CreateRenderer(window, -1, 0);
    if (!renderer) renderer = SDL_CreateRenderer(window, -1, SDL_RENDERER_SOFTWARE);
    if (!renderer)
      throw Error(kWindow, "cannot draw into the window (" + sdl_error() + ")",
                  "update the graphics driver, or leave the preview out");
  }

  void show(const stream::FrameView& frame) {
    if (!texture || texture_w != frame.width || texture_h != frame.height) {
      if (texture) SDL_DestroyTexture(texture);
      texture = SDL_CreateTexture(renderer, SDL_PIXELFORMAT_BGR24, SDL_TEXTUREACCESS_STREAMING,
                                  frame.width, frame.height);
      if (!texture)
        throw Error(kWindow,
                    "cannot make a " + std::to_string(frame.width) + "x" +
                        std::to_string(frame.height) + " picture (" + sdl_error() + ")",
                    "use smaller frames, or leave the preview out");
      SDL_SetTextureScaleMode(texture, SDL_ScaleModeLinear);
      texture_w = frame.width;
      texture_h = frame.height;
    }
    if (SDL_UpdateTexture(texture, nullptr, frame.bgr, frame.stride) != 0)
      throw Error(kWindow, "cannot show a frame (" + sdl_error() + ")", "leave the preview out");
    draw();
    SDL_RenderPresent(renderer);
  }

  // The last frame letterboxed on black, into the renderer's back buffer.
  void draw() {
    int out_w = 0, out_h = 0;
    SDL_GetRendererOutputSize(renderer, &out_w, &out_h);
    SDL_SetRenderDrawColor(renderer, 0, 0, 0, 255);
    SDL_RenderClear(renderer);
    if (texture && out_w > 0 && out_h > 0) {
      SDL_Rect target = letterbox(texture_w, texture_h, out_w, out_h);
      SDL_RenderCopy(renderer, texture, nullptr, &target);
    }
  }

  // Handles the pending events; true when the user asked to stop.
  bool user_quit() {
    bool quit = false;
    SDL_Event event;
    while (SDL_PollEvent(&event)) {
      if (event.type == SDL_QUIT) quit = true;
      if (event.type == SDL_WINDOWEVENT && event.window.event == SDL_WINDOWEVENT_CLOSE && window &&
          event.window.windowID == SDL_GetWindowID(window))
        quit = true;
      if (event.type == SDL_KEYDOWN &&
          (event.key.keysym.sym == SDLK_ESCAPE || event.key.keysym.sym == SDLK_q))
        quit = true;
    }
    return quit;
  }

  void close() {
    if (texture) SDL_DestroyTexture(texture);
    if (renderer) SDL_DestroyRenderer(renderer);
    if (window) SDL_DestroyWindow(window);
    texture = nullptr;
    renderer = nullptr;
    window = nullptr;
    texture_w = texture_h = 0;
    if (video_started) SDL_QuitSubSystem(SDL_INIT_VIDEO);
    video_started = false;
  }
};

PreviewWindow::PreviewWindow(std::string title) : impl_(std::make_unique<Impl>()) {
  impl_->title = std::move(title);
}

PreviewWindow::~PreviewWindow() = default;

void PreviewWindow::write(const stream::FrameView& frame) {
  if (closed_) return;
  if (!frame.bgr || frame.width <= 0 || frame.height <= 0 || frame.stride < frame.width * 3)
    throw Error(kWindow,
                "a frame of " + std::to_string(frame.width) + "x" + std::to_string(frame.height) +
                    " pixels, " + std::to_string(frame.stride) + " bytes per row, is not an image",
                "report this");
  try {
    if (!impl_->window) impl_->open(frame.width, frame.height);
    if (impl_->user_quit()) {
      closed_ = true;
      impl_->close();
      return;
    }
    impl_->show(frame);
  } catch (...) {
    impl_->close();
    throw;
  }
}

void PreviewWindow::start_video() {
  impl_->start_video();
}

void PreviewWindow::finish() {
  impl_->close();
}

std::string PreviewWindow::video_driver() const {
  const char* name = impl_->video_started ? SDL_GetCurrentVideoDriver() : nullptr;
  return name ? name : "";
}

uint32_t PreviewWindow::window_id() const {
  return impl_->window ? SDL_GetWindowID(impl_->window) : 0;
}

std::vector<uint8_t> PreviewWindow::read_back_bgr(int& width, int& height) {
  width = height = 0;
  if (!impl_->renderer) return {};
  int w = 0, h = 0;
  if (SDL_GetRendererOutputSize(impl_->renderer, &w, &h) != 0 || w <= 0 || h <= 0) return {};
  impl_->draw();
  std::vector<uint8_t> pixels(static_cast<size_t>(w) * h * 3);
  if (SDL_RenderReadPixels(impl_->renderer, nullptr, SDL_PIXELFORMAT_BGR24, pixels.data(), w * 3) !=
      0)
    throw Error(kWindow, "cannot read the window's pixels back (" + sdl_error() + ")",
                "report this");
  width = w;
  height = h;
  return pixels;
}

}  // namespace musetalk::live
