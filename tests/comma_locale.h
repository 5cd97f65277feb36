#pragma once
// Switches the whole process to a locale whose decimal separator is a comma (de_DE.UTF-8): the C
// locale (setlocale, which strtod and printf follow) and the C++ global locale (which new streams
// take). Restores both when it goes out of scope. Numbers read from or written to files must not
// change under it; ./dev generates the locale.

#include <gtest/gtest.h>

#include <clocale>
#include <cstdlib>
#include <locale>
#include <sstream>
#include <stdexcept>
#include <string>

namespace musetalk::test {

class CommaDecimalLocale {
 public:
  static constexpr const char* kName = "de_DE.UTF-8";

  CommaDecimalLocale() {
    const char* previous = std::setlocale(LC_ALL, nullptr);
    previous_c_ = previous ? previous : "C";
    if (std::setlocale(LC_ALL, kName) == nullptr) {
      error_ = std::string("the locale ") + kName +
               " is not installed; ./dev test generates it (as root: localedef -i de_DE -f UTF-8 " +
               kName + ")";
      return;
    }
    try {
      previous_cpp_ = std::locale::global(std::locale(kName));
      active_ = true;
    } catch (const std::runtime_error& e) {
      std::setlocale(LC_ALL, previous_c_.c_str());
      error_ = std::string("std::locale(\"") + kName + "\") failed: " + e.what();
    }
  }

  ~CommaDecimalLocale() {
    if (active_) std::locale::global(previous_cpp_);
    std::setlocale(LC_ALL, previous_c_.c_str());
  }

  CommaDecimalLocale(const CommaDecimalLocale&) = delete;
  CommaDecimalLocale& operator=(const CommaDecimalLocale&) = delete;

  // "" when the process now runs in the comma locale, else why not and how to fix it.
  const std::string& error() const { return error_; }

 private:
  bool active_ = false;
  std::string error_;
  std::string previous_c_;
  std::locale previous_cpp_;
};

// Fails the test unless `locale` is active and really makes the C library and new streams use a
// comma (so that a test under it cannot pass without testing anything).
#define ASSERT_COMMA_DECIMAL_LOCALE(locale)                                             \
  do {                                                                                  \
    ASSERT_EQ((locale).error(), "");                                                    \
    ASSERT_EQ(std::strtod("0.5", nullptr), 0.0) << "strtod still reads '.' as decimal"; \
    std::ostringstream comma_probe_;                                                    \
    comma_probe_ << 0.5;                                                                \
    ASSERT_EQ(comma_probe_.str(), "0,5") << "streams still write '.' as decimal";       \
  } while (0)

}  // namespace musetalk::test
