#include <gtest/gtest.h>

#include "files/error.h"
#include "files/json.h"

namespace musetalk::files {
namespace {

TEST(Json, ParsesConfigShapedDocuments) {
  Json j = Json::parse(R"({"_class_name": "UNet2DConditionModel", "in_channels": 8,
    "norm_eps": 1e-05, "block_out_channels": [320, 640], "center_input_sample": false,
    "addition_embed_type": null, "name": "a\"b\u00e9"})");
  EXPECT_EQ(j.at("_class_name").as_string(), "UNet2DConditionModel");
  EXPECT_EQ(j.at("in_channels").as_int(), 8);
  EXPECT_DOUBLE_EQ(j.at("norm_eps").as_double(), 1e-5);
  EXPECT_EQ(j.at("block_out_channels").as_array()[1].as_int(), 640);
  EXPECT_FALSE(j.at("center_input_sample").as_bool());
  EXPECT_TRUE(j.at("addition_embed_type").is_null());
  EXPECT_EQ(j.at("name").as_string(), "a\"b\xC3\xA9");
  EXPECT_EQ(j.as_object().front().first, "_class_name") << "member order is kept";
}

TEST(Json, LargeIntegersStayExact) {
  EXPECT_EQ(Json::parse("9007199254740993").as_int(), 9007199254740993LL);
}

TEST(Json, RoundTripsThroughDump) {
  Json j = Json::object();
  j.set("frames", Json::integer(16));
  j.set("fps", Json::number(25.5));
  j.set("boxes", Json::array({Json::array({Json::integer(1), Json::integer(-2)})}));
  j.set("source", Json::string("clip \"a\".mp4\n"));
  Json back = Json::parse(j.dump(2));
  EXPECT_EQ(back.dump(), j.dump());
}

TEST(Json, RejectsMalformedTextWithOffset) {
  for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "{\"a\":1}x", "01x"}) {
    EXPECT_THROW(Json::parse(bad), FormatError) << bad;
  }
  try {
    Json::parse("[1, 2, @]");
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("byte 7"), std::string::npos) << e.what();
  }
}

TEST(Json, RejectsAbsurdNesting) {
  EXPECT_THROW(Json::parse(std::string(100000, '[')), FormatError);
}

TEST(Json, TypeMismatchesAreErrors) {
  Json j = Json::parse(R"({"a": "text", "b": 1.5})");
  EXPECT_THROW(j.at("a").as_int(), FormatError);
  EXPECT_THROW(j.at("b").as_int(), FormatError);
  EXPECT_THROW(j.at("missing"), FormatError);
}

}  // namespace
}  // namespace musetalk::files
