// What the readers rely on from files/json_file.h: key order kept, exact integers, short exact
// numbers in written text, and errors that name the file or the key.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>

#include "files/error.h"
#include "files/json_file.h"
#include "test_support.h"

namespace musetalk::files {
namespace {

using nlohmann::ordered_json;

std::string error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(JsonFile, ParsesConfigShapedDocumentsKeepingKeyOrder) {
  const ordered_json j = parse_json(R"({"_class_name": "UNet2DConditionModel", "in_channels": 8,
    "norm_eps": 1e-05, "block_out_channels": [320, 640], "center_input_sample": false,
    "addition_embed_type": null, "name": "a\"b\u00e9"})");
  EXPECT_EQ(json_get<std::string>(j, "_class_name"), "UNet2DConditionModel");
  EXPECT_EQ(json_get<int64_t>(j, "in_channels"), 8);
  EXPECT_EQ(json_get<double>(j, "norm_eps"), 1e-5);
  EXPECT_EQ(json_as<int64_t>(json_array(json_at(j, "block_out_channels"))[1]), 640);
  EXPECT_FALSE(json_get<bool>(j, "center_input_sample"));
  EXPECT_TRUE(json_at(j, "addition_embed_type").is_null());
  EXPECT_EQ(json_get<std::string>(j, "name"), "a\"b\xC3\xA9");
  EXPECT_EQ(j.begin().key(), "_class_name") << "member order is kept";
  EXPECT_EQ(json_find(j, "absent"), nullptr);
}

TEST(JsonFile, LargeIntegersStayExact) {
  EXPECT_EQ(json_as<int64_t>(parse_json("9007199254740993")), 9007199254740993LL);
  EXPECT_EQ(json_as<int64_t>(parse_json("-9007199254740993")), -9007199254740993LL);
  EXPECT_EQ(json_as<int64_t>(parse_json("2.0")), 2) << "an integral float is an integer";
  EXPECT_THROW(json_as<int64_t>(parse_json("18446744073709551615")), FormatError);
  EXPECT_THROW(json_as<int>(parse_json("4294967296")), FormatError);
}

TEST(JsonFile, WrittenNumbersAreShortAndExact) {
  const ordered_json j = {{"frames", 16}, {"fps", 25.5},      {"scaling_factor", 0.18215},
                          {"eps", 1e-05}, {"third", 1.0 / 3}, {"boxes", {{1, -2}}}};
  EXPECT_EQ(json_dump(j), R"({"frames":16,"fps":25.5,"scaling_factor":0.18215,"eps":1e-05,)"
                          R"("third":0.3333333333333333,"boxes":[[1,-2]]})");
  EXPECT_EQ(parse_json(json_dump(j, 2)), j);
}

TEST(JsonFile, MalformedTextIsAFormatErrorSayingWhere) {
  for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "{\"a\":1}x", "01x"}) {
    EXPECT_THROW(parse_json(bad), FormatError) << bad;
  }
  const std::string what = error_of([] { parse_json("[1, 2, @]"); });
  EXPECT_NE(what.find("line 1, column 8"), std::string::npos) << what;
}

TEST(JsonFile, RejectsAbsurdNesting) {
  EXPECT_THROW(parse_json(std::string(100000, '[')), FormatError);
  EXPECT_NO_THROW(parse_json(std::string(200, '[') + std::string(200, ']')));
  EXPECT_NO_THROW(parse_json("\"" + std::string(1000, '[') + "\""))
      << "brackets inside strings do not nest";
}

TEST(JsonFile, WrongTypesAreFormatErrorsNamingTheKey) {
  const ordered_json j = parse_json(R"({"a": "text", "b": 1.5, "c": [1]})");
  EXPECT_EQ(error_of([&] { json_get<int64_t>(j, "a"); }),
            "\"a\": expected an integer, found a string");
  EXPECT_EQ(error_of([&] { json_get<int64_t>(j, "b"); }), "\"b\": expected an integer, found 1.5");
  EXPECT_EQ(error_of([&] { json_get<std::string>(j, "c"); }),
            "\"c\": expected a string, found an array");
  EXPECT_EQ(error_of([&] { json_get<double>(j, "missing"); }), "missing key \"missing\"");
  EXPECT_THROW(json_array(json_at(j, "b")), FormatError) << "a scalar is not a list";
  EXPECT_THROW(json_at(json_at(j, "c"), "x"), FormatError);
}

TEST(JsonFile, ParseErrorsInAFileNameTheFile) {
  test::TempDir tmp;
  const std::string path = tmp.file("config.json");
  std::ofstream(path) << "{\"d_model\": ";
  try {
    read_json_file(path, "download it again");
    FAIL() << "a truncated file parsed";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), path);
    EXPECT_NE(e.problem().find("not valid JSON"), std::string::npos) << e.what();
    EXPECT_EQ(e.fix(), "download it again");
  }
  try {
    read_json_file(tmp.file("absent.json"));
    FAIL() << "a missing file parsed";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), tmp.file("absent.json"));
  }
}

TEST(JsonFile, TextThatIsNotUtf8IsAFormatErrorWhenWritten) {
  const ordered_json j = {{"source", std::string("clip\xff.mp4")}};
  EXPECT_THROW(json_dump(j), FormatError);
}

}  // namespace
}  // namespace musetalk::files
