#include "error_report.h"

#include <c10/util/Exception.h>

#include <new>
#include <string>

#include "files/error.h"

namespace musetalk::tools {
namespace {

constexpr int kExitError = 1;

bool is_allocation_failure(const c10::Error& e) {
  if (dynamic_cast<const c10::OutOfMemoryError*>(&e)) return true;
  const std::string text = e.what_without_backtrace();
  return text.find("can't allocate memory") != std::string::npos ||
         text.find("out of memory") != std::string::npos;
}

}  // namespace

int report_error(const std::exception_ptr& error, std::ostream& out,
                 const std::string& memory_fix) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    out << "error: " << e.what() << "\n";
  } catch (const c10::Error& e) {
    std::string text = e.what_without_backtrace();
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (is_allocation_failure(e)) {
      out << "error: out of memory: " << text << "\n  fix: " << memory_fix << "\n";
    } else {
      out << "error: internal error: " << text
          << "\n  fix: this is a bug in musetalk, not a fault of your input; please report it "
             "with the command line and this message\n";
    }
  } catch (const std::bad_alloc&) {
    out << "error: out of memory\n  fix: " << memory_fix << "\n";
  } catch (const std::exception& e) {
    out << "error: " << e.what() << "\n";
  } catch (...) {
    out << "error: unknown failure\n  fix: please report it with the command line\n";
  }
  return kExitError;
}

}  // namespace musetalk::tools
