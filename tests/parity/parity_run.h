#pragma once
// Finding a folder's manifests and running one through its kind runner: the verdict of each ctest
// case of parity_runner.cpp, returned as messages so that tests can check the runner itself
// (case_checks_test.cpp).

#include <string>
#include <string_view>
#include <vector>

#include "parity/parity_case.h"

namespace musetalk::parity {

inline constexpr std::string_view kManifestSuffix = ".manifest.json";

// The *.manifest.json files directly in folder, sorted. Never throws: a missing or unreadable
// folder gives none.
std::vector<std::string> manifest_paths(const std::string& folder);

struct CaseOutcome {
  std::string skipped;                // why the case was skipped; "" when it ran
  std::vector<std::string> failures;  // one message per failure, each naming the case
};

// Runs the manifest at path in precision through the runner registered for its kind
// (kind_runners()) and collects every failure: a manifest that does not parse, a kind with no
// runner problems with the tolerance table
// (Case::tolerance_problems), an exception from the runner, every comparison that failed
// (Case::check), a listed output not compared for some io case and not waived by the kind, and a
// waived output that was compared. Prints one line per output to stdout. Never throws.
CaseOutcome run_case(const std::string& path, const Precision& precision);

}  // namespace musetalk::parity
