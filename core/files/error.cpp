#include "files/error.h"

namespace musetalk {
namespace {

std::string compose(const std::string& input, const std::string& problem, const std::string& fix) {
  std::string text = input.empty() ? problem : input + ": " + problem;
  if (!fix.empty()) text += "\n  fix: " + fix;
  return text;
}

}  // namespace

Error::Error(std::string input, std::string problem, std::string fix)
    : std::runtime_error(compose(input, problem, fix)),
      input_(std::move(input)),
      problem_(std::move(problem)),
      fix_(std::move(fix)) {}

}  // namespace musetalk
