#pragma once
// A small JSON reader/writer: model configs, safetensors headers, avatar metadata, fixture
// manifests. Objects keep their key order.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace musetalk::files {

class Json {
 public:
  enum class Kind { Null, Bool, Number, String, Array, Object };
  using Members = std::vector<std::pair<std::string, Json>>;

  Json() = default;
  static Json boolean(bool b);
  static Json number(double v);
  static Json integer(int64_t v);
  static Json string(std::string s);
  static Json array(std::vector<Json> items = {});
  static Json object(Members members = {});

  // Throws FormatError naming the byte offset of the first problem.
  static Json parse(const std::string& text);

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::Null; }
  bool is_number() const { return kind_ == Kind::Number; }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_array() const { return kind_ == Kind::Array; }
  bool is_object() const { return kind_ == Kind::Object; }

  // Typed access; throws FormatError when the value has another type.
  bool as_bool() const;
  double as_double() const;
  int64_t as_int() const;  // the number must be integral
  const std::string& as_string() const;
  const std::vector<Json>& as_array() const;
  const Members& as_object() const;

  // Object member access: find() returns nullptr when absent, at() throws.
  const Json* find(const std::string& key) const;
  const Json& at(const std::string& key) const;
  bool contains(const std::string& key) const { return find(key) != nullptr; }

  // Builders.
  Json& set(const std::string& key, Json value);
  void push_back(Json value);

  std::string dump(int indent = -1) const;

 private:
  friend class JsonParser;
  void dump_to(std::string& out, int indent, int depth) const;

  Kind kind_ = Kind::Null;
  bool bool_ = false;
  double number_ = 0;
  bool integral_ = false;
  int64_t integer_ = 0;
  std::string string_;
  std::vector<Json> items_;
  Members members_;
};

}  // namespace musetalk::files
