// The preview window with SDL's own drivers and no display: DISPLAY and WAYLAND_DISPLAY are
// unset, so SDL 2.26 falls back to its "offscreen" driver, and the rendered pixels are read back.

#include <SDL2/SDL.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "files/error.h"
#include "live/preview_window.h"
#include "solid_frame.h"

namespace musetalk::live {
namespace {

class PreviewWindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("DISPLAY");
    unsetenv("WAYLAND_DISPLAY");
    unsetenv("SDL_VIDEODRIVER");
    unsetenv("SDL_RENDER_DRIVER");
  }
};

using Frame = test::SolidFrame;

// Expects the pixel at (x, y) of a packed BGR image width pixels wide to be (b, g, r).
void expect_pixel(const std::vector<uint8_t>& image, int width, int x, int y, int b, int g, int r) {
  const uint8_t* p = &image[(static_cast<size_t>(y) * width + x) * 3];
  EXPECT_NEAR(p[0], b, 2) << "at " << x << "," << y;
  EXPECT_NEAR(p[1], g, 2) << "at " << x << "," << y;
  EXPECT_NEAR(p[2], r, 2) << "at " << x << "," << y;
}

TEST_F(PreviewWindowTest, ShowsFramesInTheirColourWithoutADisplay) {
  PreviewWindow window(preview_title("sample"));
  Frame frame(64, 48, 30, 60, 200);
  for (int i = 0; i < 3; ++i) window.write(frame.view);
  EXPECT_EQ(window.video_driver(), "offscreen");
  EXPECT_NE(window.window_id(), 0u);
  EXPECT_EQ(std::string(SDL_GetWindowTitle(SDL_GetWindowFromID(window.window_id()))),
            "MuseTalk \xe2\x80\x93 sample");
  int w = 0, h = 0;
  auto pixels = window.read_back_bgr(w, h);
  ASSERT_EQ(w, 64);
  ASSERT_EQ(h, 48);
  for (int y = 0; y < h; y += 7)
    for (int x = 0; x < w; x += 7) expect_pixel(pixels, w, x, y, 30, 60, 200);
  EXPECT_FALSE(window.closed());
  window.finish();
  EXPECT_EQ(window.window_id(), 0u);
}

TEST_F(PreviewWindowTest, TakesFramesOfAnotherSizeMidStreamLetterboxed) {
  PreviewWindow window("resize");
  Frame wide(64, 48, 0, 0, 255);
  window.write(wide.view);
  Frame square(32, 32, 0, 255, 0);
  window.write(square.view);
  window.write(square.view);
  int w = 0, h = 0;
  auto pixels = window.read_back_bgr(w, h);
  ASSERT_EQ(w, 64);  // the window keeps its size
  ASSERT_EQ(h, 48);
  // 32x32 scaled into 64x48: a 48x48 square at x 8..55, black bars either side.
  expect_pixel(pixels, w, 32, 24, 0, 255, 0);
  expect_pixel(pixels, w, 10, 2, 0, 255, 0);
  expect_pixel(pixels, w, 2, 24, 0, 0, 0);
  expect_pixel(pixels, w, 61, 24, 0, 0, 0);
  window.finish();
}

TEST_F(PreviewWindowTest, LetterboxesWhenTheWindowIsResized) {
  // The offscreen driver's OpenGL surface keeps the window's first size when the window grows
  // (seen with SDL 2.26); a desktop driver resizes it. SDL's software renderer follows the window.
  setenv("SDL_RENDER_DRIVER", "software", 1);
  PreviewWindow window("letterbox");
  Frame frame(64, 64, 255, 0, 0);
  window.write(frame.view);
  SDL_SetWindowSize(SDL_GetWindowFromID(window.window_id()), 200, 100);
  window.write(frame.view);  // handles the resize event, then draws
  int w = 0, h = 0;
  auto pixels = window.read_back_bgr(w, h);
  ASSERT_EQ(w, 200);
  ASSERT_EQ(h, 100);
  // 64x64 into 200x100: a 100x100 square at x 50..149.
  expect_pixel(pixels, w, 100, 50, 255, 0, 0);
  expect_pixel(pixels, w, 52, 2, 255, 0, 0);
  expect_pixel(pixels, w, 20, 50, 0, 0, 0);
  expect_pixel(pixels, w, 180, 50, 0, 0, 0);
  window.finish();
  unsetenv("SDL_RENDER_DRIVER");
}

TEST_F(PreviewWindowTest, ClosedAfterAQuitEvent) {
  PreviewWindow window("quit");
  Frame frame(16, 16, 1, 2, 3);
  window.write(frame.view);
  EXPECT_FALSE(window.closed());
  SDL_Event quit{};
  quit.type = SDL_QUIT;
  ASSERT_EQ(SDL_PushEvent(&quit), 1) << SDL_GetError();
  window.write(frame.view);  // polls the events
  EXPECT_TRUE(window.closed());
  EXPECT_EQ(window.window_id(), 0u);
  window.write(frame.view);  // ignored once closed
  EXPECT_TRUE(window.closed());
  window.finish();
}

TEST_F(PreviewWindowTest, ClosedAfterEscapeOrQ) {
  for (SDL_Keycode key : {SDLK_ESCAPE, SDLK_q}) {
    PreviewWindow window("keys");
    Frame frame(16, 16, 1, 2, 3);
    window.write(frame.view);
    SDL_Event press{};
    press.type = SDL_KEYDOWN;
    press.key.keysym.sym = key;
    ASSERT_EQ(SDL_PushEvent(&press), 1) << SDL_GetError();
    window.write(frame.view);
    EXPECT_TRUE(window.closed()) << SDL_GetKeyName(key);
  }
}

TEST_F(PreviewWindowTest, MissingVideoDriverSaysWhatToDo) {
  setenv("SDL_VIDEODRIVER", "no-such-driver", 1);
  PreviewWindow window("none");
  Frame frame(16, 16, 1, 2, 3);
  try {
    window.write(frame.view);
    ADD_FAILURE() << "no error thrown";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), "preview window");
    EXPECT_NE(e.problem().find("cannot start SDL's video"), std::string::npos) << e.what();
    EXPECT_NE(e.fix().find("SDL_VIDEODRIVER=offscreen"), std::string::npos) << e.what();
  }
  unsetenv("SDL_VIDEODRIVER");
}

TEST_F(PreviewWindowTest, StartingTheVideoUpFrontReportsAMissingDriver) {
  setenv("SDL_VIDEODRIVER", "no-such-driver", 1);
  PreviewWindow window("none");
  try {
    window.start_video();
    ADD_FAILURE() << "no error thrown";
  } catch (const Error& e) {
    EXPECT_NE(e.problem().find("cannot start SDL's video"), std::string::npos) << e.what();
  }
  unsetenv("SDL_VIDEODRIVER");
}

TEST(PreviewTitle, NamesTheAvatar) {
  EXPECT_EQ(preview_title("anna"), "MuseTalk \xe2\x80\x93 anna");
  EXPECT_EQ(preview_title(""), "MuseTalk");
}

}  // namespace
}  // namespace musetalk::live
