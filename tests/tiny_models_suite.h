#pragma once
// A GoogleTest fixture base for suites that run `musetalk` on the tiny model set
// (tiny_model_set.h), written once per suite into a temporary folder.

#include <gtest/gtest.h>

#include <string>

#include "test_support.h"
#include "tiny_model_set.h"

namespace musetalk::test {

class TinyModelsSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    models_ = new TempDir;
    write_tiny_model_set(models_->path());
  }
  static void TearDownTestSuite() {
    delete models_;
    models_ = nullptr;
  }
  static std::string models_dir() { return models_->path().string(); }

 private:
  static inline TempDir* models_ = nullptr;
};

}  // namespace musetalk::test
