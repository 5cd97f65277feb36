#pragma once
// The one error type a user sees: what failed, which input it concerns, and what to do about it.

#include <stdexcept>
#include <string>

namespace musetalk {

class Error : public std::runtime_error {
 public:
  // input: the file, device or option concerned; problem: what is wrong; fix: what to do.
  Error(std::string input, std::string problem, std::string fix = {});

  const std::string& input() const { return input_; }
  const std::string& problem() const { return problem_; }
  const std::string& fix() const { return fix_; }

 private:
  std::string input_;
  std::string problem_;
  std::string fix_;
};

namespace files {

// Raised by the parsers, which do not know the file name; the readers turn it into an Error
// naming the file.
class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace files
}  // namespace musetalk
