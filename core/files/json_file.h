#pragma once
// JSON documents (model configs, safetensors headers, avatar files, fixture manifests) as
// nlohmann::ordered_json, which keeps the key order of what it read or built. This adds what the
// readers need on top: parse errors as FormatError (or as an Error naming the file), the same
// result whatever the process locale, and typed access whose errors say what was found and, with
// json_get, which key.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "files/error.h"

namespace musetalk::files {

// Parses UTF-8 JSON text. Numbers read the same in every locale (LC_NUMERIC, the C++ global
// locale). Throws FormatError ("invalid JSON: parse error at line L, column C: ...") for malformed
// text and for nesting deeper than 256 levels.
nlohmann::ordered_json parse_json(std::string_view text);

// Reads and parses the file at path. Throws Error(path, "not valid JSON: ...", fix) for malformed
// text, and read_text_file's Error when the file is missing or unreadable.
nlohmann::ordered_json read_json_file(const std::string& path, const std::string& fix = {});

// The text of value, compact (indent < 0) or indented; numbers are written shortest-exact and
// independent of the locale. Throws FormatError when a string is not valid UTF-8.
std::string json_dump(const nlohmann::ordered_json& value, int indent = -1);

// value as T. Throws FormatError "expected <T>, found <what>" for another type:
//   int64_t: an integral number (1.0 is accepted; 1.5 and numbers beyond int64 are not);
//   int: the same, within int's range; double: any number; bool; std::string.
template <typename T>
T json_as(const nlohmann::ordered_json& value);
template <>
int64_t json_as<int64_t>(const nlohmann::ordered_json& value);
template <>
int json_as<int>(const nlohmann::ordered_json& value);
template <>
double json_as<double>(const nlohmann::ordered_json& value);
template <>
bool json_as<bool>(const nlohmann::ordered_json& value);
template <>
std::string json_as<std::string>(const nlohmann::ordered_json& value);

// value itself when it is an array, so that a loop over it cannot silently take a scalar or an
// object for a list. Throws FormatError otherwise.
const nlohmann::ordered_json& json_array(const nlohmann::ordered_json& value);

// object's member key, or nullptr when it is absent or object is not an object.
const nlohmann::ordered_json* json_find(const nlohmann::ordered_json& object,
                                        const std::string& key);

// Calls read(object[key]) when object has the key (a config field; absent ones keep their
// defaults). A FormatError from read becomes musetalk::Error(source, "key: problem", fix), so the
// message names the file and the field.
void read_json_field(const nlohmann::ordered_json& object, const std::string& key,
                     const std::string& source, const std::string& fix,
                     const std::function<void(const nlohmann::ordered_json&)>& read);

// object's member key. Throws FormatError "missing key \"key\"", or "expected an object" when
// object is not one.
const nlohmann::ordered_json& json_at(const nlohmann::ordered_json& object, const std::string& key);

// json_as<T>(json_at(object, key)); the FormatError names the key: "\"fps\": expected an integer,
// found a string".
template <typename T>
T json_get(const nlohmann::ordered_json& object, const std::string& key) {
  const nlohmann::ordered_json& value = json_at(object, key);
  try {
    return json_as<T>(value);
  } catch (const FormatError& e) {
    throw FormatError("\"" + key + "\": " + e.what());
  }
}

}  // namespace musetalk::files
