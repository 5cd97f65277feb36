#pragma once
// CRC-32 (IEEE 802.3, the zip checksum).

#include <cstddef>
#include <cstdint>

namespace musetalk::files {

uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc = 0);

}  // namespace musetalk::files
