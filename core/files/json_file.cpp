#include "files/json_file.h"

#include <locale.h>

#include <cmath>
#include <limits>

#include "files/error.h"
#include "files/file_source.h"

namespace musetalk::files {
namespace {

using nlohmann::ordered_json;

constexpr int kMaxDepth = 256;

// nlohmann's lexer hands numbers to strtod after swapping '.' for the first byte of localeconv()'s
// decimal point, which fails for locales whose decimal point is a multi-byte character. With
// the C locale for this thread (POSIX uselocale) numbers read the same in every process locale.
class CLocaleForThisThread {
 public:
  CLocaleForThisThread() {
    static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(0));
    if (c_locale != static_cast<locale_t>(0)) previous_ = uselocale(c_locale);
  }
  ~CLocaleForThisThread() {
    if (previous_ != static_cast<locale_t>(0)) uselocale(previous_);
  }
  CLocaleForThisThread(const CLocaleForThisThread&) = delete;
  CLocaleForThisThread& operator=(const CLocaleForThisThread&) = delete;

 private:
  locale_t previous_ = static_cast<locale_t>(0);
};

// Rejects text nested deeper than kMaxDepth before nlohmann builds (and later walks) it.
void check_depth(std::string_view text) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) throw FormatError("invalid JSON: nesting deeper than 256 levels");
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

// nlohmann's message without its "[json.exception.parse_error.101] " prefix.
std::string without_prefix(const char* what) {
  const std::string text = what;
  const size_t end = text.rfind("] ", text.find(' '));
  return end == std::string::npos ? text : text.substr(end + 2);
}

// What a value is, for "expected ..., found ..." messages: scalars by their text.
std::string describe(const ordered_json& v) {
  switch (v.type()) {
    case ordered_json::value_t::string:
      return "a string";
    case ordered_json::value_t::array:
      return "an array";
    case ordered_json::value_t::object:
      return "an object";
    default:
      return v.dump();
  }
}

[[noreturn]] void wrong_type(const ordered_json& v, const char* wanted) {
  throw FormatError(std::string("expected ") + wanted + ", found " + describe(v));
}

}  // namespace

ordered_json parse_json(std::string_view text) {
  check_depth(text);
  CLocaleForThisThread c_locale;
  try {
    return ordered_json::parse(text.begin(), text.end());
  } catch (const ordered_json::parse_error& e) {
    throw FormatError("invalid JSON: " + without_prefix(e.what()));
  }
}

ordered_json read_json_file(const std::string& path, const std::string& fix) {
  const std::string text = read_text_file(path);
  try {
    return parse_json(text);
  } catch (const FormatError& e) {
    const std::string what = e.what(), prefix = "invalid JSON: ";
    const bool prefixed = what.compare(0, prefix.size(), prefix) == 0;
    throw Error(path, "not valid JSON: " + (prefixed ? what.substr(prefix.size()) : what), fix);
  }
}

std::string json_dump(const ordered_json& value, int indent) {
  try {
    return value.dump(indent);
  } catch (const ordered_json::type_error& e) {
    throw FormatError("cannot be written as JSON: " + without_prefix(e.what()));
  }
}

template <>
int64_t json_as<int64_t>(const ordered_json& v) {
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      wrong_type(v, "an integer within 64 bits");
    }
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    // An integral float (1.0) counts; beyond 2^53 a double no longer holds every integer.
    const double d = v.get<double>();
    if (std::floor(d) == d && std::fabs(d) <= 9.0e15) return static_cast<int64_t>(d);
  }
  wrong_type(v, "an integer");
}

template <>
int json_as<int>(const ordered_json& v) {
  const int64_t i = json_as<int64_t>(v);
  if (i < std::numeric_limits<int>::min() || i > std::numeric_limits<int>::max()) {
    throw FormatError("number " + v.dump() + " out of range");
  }
  return static_cast<int>(i);
}

template <>
double json_as<double>(const ordered_json& v) {
  if (!v.is_number()) wrong_type(v, "a number");
  return v.get<double>();
}

template <>
bool json_as<bool>(const ordered_json& v) {
  if (!v.is_boolean()) wrong_type(v, "a boolean");
  return v.get<bool>();
}

template <>
std::string json_as<std::string>(const ordered_json& v) {
  if (!v.is_string()) wrong_type(v, "a string");
  return v.get<std::string>();
}

const ordered_json& json_array(const ordered_json& v) {
  if (!v.is_array()) wrong_type(v, "an array");
  return v;
}

const ordered_json* json_find(const ordered_json& object, const std::string& key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

void read_json_field(const ordered_json& object, const std::string& key, const std::string& source,
                     const std::string& fix, const std::function<void(const ordered_json&)>& read) {
  const ordered_json* value = json_find(object, key);
  if (!value) return;
  try {
    read(*value);
  } catch (const FormatError& e) {
    throw Error(source, key + ": " + e.what(), fix);
  }
}

const ordered_json& json_at(const ordered_json& object, const std::string& key) {
  if (!object.is_object()) wrong_type(object, "an object");
  const ordered_json* v = json_find(object, key);
  if (v == nullptr) throw FormatError("missing key \"" + key + "\"");
  return *v;
}

}  // namespace musetalk::files
