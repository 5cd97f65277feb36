#pragma once
// A pickle interpreter (protocols 0 to 5, without out-of-band buffers) that builds a value tree
// instead of Python objects. Checkpoint classes are modelled in python_objects.h; any other
// class becomes an opaque Object.

#include <functional>
#include <string>

#include "files/byte_reader.h"
#include "files/pickle_value.h"

namespace musetalk::files {

// Turns a persistent id (torch storages) into a value. Empty: persistent ids are an error.
using PersistentLoad = std::function<Value*(PickleDocument&, const Value& pid)>;

// Runs one pickle from the reader's position through its STOP opcode and returns the result
// (also stored as the document's root). Throws FormatError for malformed input.
Value* load_pickle(ByteReader& in, PickleDocument& doc, const PersistentLoad& persistent_load = {});

// Reads a whole plain pickle file (.pkl) into a document. Throws Error naming the file.
PickleDocument read_pickle_file(const std::string& path);

}  // namespace musetalk::files
