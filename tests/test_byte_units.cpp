// files/byte_units: the one way the tool and the download library write byte counts (file
// sizes, progress, resume offsets), in binary units with one decimal and in every locale alike.
#include <gtest/gtest.h>

#include <cstdint>

#include "comma_locale.h"
#include "files/byte_units.h"

namespace musetalk::files {
namespace {

constexpr uint64_t kKiB = 1024, kMiB = kKiB * 1024, kGiB = kMiB * 1024;

TEST(ByteUnits, MiB) {
  EXPECT_EQ(format_mib(3.0 * kMiB / 2), "1.5 MiB");
  EXPECT_EQ(format_mib(0), "0.0 MiB");
  EXPECT_EQ(format_mib(100.0 * kMiB), "100.0 MiB");
  EXPECT_EQ(mib_number(5.0 * kMiB), "5.0");
  EXPECT_EQ(mib_number(0.05 * kMiB + 1), "0.1") << "rounded to nearest";
}

TEST(ByteUnits, SizeInTheLargestUnitUnderIt) {
  EXPECT_EQ(format_size(0), "0 B");
  EXPECT_EQ(format_size(716), "716 B");
  EXPECT_EQ(format_size(1023), "1023 B");
  EXPECT_EQ(format_size(kKiB), "1.0 KiB");
  EXPECT_EQ(format_size(kMiB - 1), "1.0 MiB") << "not 1024.0 KiB";
  EXPECT_EQ(format_size(3277), "3.2 KiB");
  EXPECT_EQ(format_size(static_cast<uint64_t>(14.8 * kMiB)), "14.8 MiB");
  EXPECT_EQ(format_size(3 * kGiB + kGiB / 5), "3.2 GiB");
  EXPECT_EQ(format_size(2048 * kGiB), "2048.0 GiB") << "GiB is the largest unit";
}

TEST(ByteUnits, ADecimalPointInEveryLocale) {
  test::CommaDecimalLocale comma;
  ASSERT_COMMA_DECIMAL_LOCALE(comma);
  EXPECT_EQ(format_mib(3.0 * kMiB / 2), "1.5 MiB");
  EXPECT_EQ(format_size(3277), "3.2 KiB");
}

}  // namespace
}  // namespace musetalk::files
