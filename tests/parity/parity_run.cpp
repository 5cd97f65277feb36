#include "parity/parity_run.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace musetalk::parity {
namespace {

namespace fs = std::filesystem;

std::string result_label(const Comparison& r) {
  return r.io.empty() ? r.output : r.output + "[" + r.io + "]";
}

// The comparisons' lines and failures.
void report_results(const Case& c, CaseOutcome& out) {
  for (const Comparison& r : c.results()) {
    char values[64] = "max_abs -         differing -     ";
    if (r.compared) {
      std::snprintf(values, sizeof values, "max_abs %-9.3g differing %.4f", r.max_abs,
                    r.fraction_differing);
    }
    std::printf("%-8s %-16s %-24s %s  tolerance %s%s\n", r.ok ? "ok" : "FAILED", c.name().c_str(),
                result_label(r).c_str(), values, r.tolerance.c_str(),
                r.problem.empty() ? "" : ("  " + r.problem).c_str());
    if (!r.ok) {
      out.failures.push_back(c.name() + " output " + result_label(r) + ": " + values +
                             " tolerance " + r.tolerance + " " + r.problem);
    }
  }
}

// Every listed output must have been compared (for every io case) unless waived, and a waiver
// must not cover an output that was compared after all.
void check_coverage(const Case& c, const KindRunner& kind, CaseOutcome& out) {
  std::vector<std::string> io_cases;
  for (const std::string& file : c.io_files()) io_cases.push_back(c.io_case(file));
  auto compared = [&](const std::string& output, const std::string& io) {
    return std::any_of(c.results().begin(), c.results().end(),
                       [&](const Comparison& r) { return r.output == output && r.io == io; });
  };
  auto waiver_for = [&](const std::string& output) -> const Waiver* {
    for (const Waiver& w : kind.waivers) {
      if (output_matches(w.output, output)) return &w;
    }
    return nullptr;
  };
  for (const std::string& output : c.listed_outputs()) {
    for (const std::string& io : io_cases) {
      const Waiver* waiver = waiver_for(output);
      const std::string label = io.empty() ? output : output + "[" + io + "]";
      if (compared(output, io)) {
        if (waiver) {
          out.failures.push_back(c.name() + ": " + label +
                                 " is compared but waived; drop the waiver");
        }
      } else if (waiver) {
        std::printf("waived   %-16s %-24s %s\n", c.name().c_str(), label.c_str(),
                    waiver->reason.c_str());
      } else {
        std::printf("FAILED   %-16s %-24s not compared\n", c.name().c_str(), label.c_str());
        out.failures.push_back(c.name() + ": listed output " + label +
                               " was not compared and has no waiver in the " + c.kind() +
                               " runner");
      }
    }
  }
}

}  // namespace

std::vector<std::string> manifest_paths(const std::string& folder) {
  const std::string suffix(kManifestSuffix);
  std::vector<std::string> paths;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      paths.push_back(it->path().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

CaseOutcome run_case(const std::string& path, const Precision& precision) {
  CaseOutcome out;
  std::unique_ptr<Case> c;
  try {
    c = std::make_unique<Case>(path, precision);
  } catch (const std::exception& e) {
    out.failures.push_back(e.what());
    return out;
  }
  auto runner = kind_runners().find(c->kind());
  if (runner == kind_runners().end()) {
    // Every kind of the fixtures has a runner: a manifest this program cannot check fails.
    out.failures.push_back(c->name() + ": no runner for kind \"" + c->kind() + "\"");
    return out;
  }
  const KindRunner& kind = runner->second;
  std::printf("%s: %s, kind %s, %s\n", c->name().c_str(), path.c_str(), c->kind().c_str(),
              precision.name().c_str());

  for (const std::string& problem : c->tolerance_problems()) {
    out.failures.push_back(c->name() + ": " + problem);
  }
  try {
    torch::InferenceMode inference;
    kind.run(*c);
  } catch (const std::exception& e) {
    out.failures.push_back(c->name() + " (" + precision.name() + "): " + e.what());
  }
  report_results(*c, out);
  try {
    check_coverage(*c, kind, out);
  } catch (const std::exception& e) {  // a malformed "io"
    out.failures.push_back(c->name() + ": " + e.what());
  }
  return out;
}

}  // namespace musetalk::parity
