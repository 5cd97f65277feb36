#pragma once
// The Python classes and functions that checkpoints and avatar caches pickle, modelled as value
// tree nodes: collections.OrderedDict, torch's tensor rebuild functions, numpy scalars, dtypes
// and arrays, _codecs.encode (protocol-2 bytes), torch.Size and sets. Anything else becomes an
// opaque Object, never an error, so unknown metadata cannot make a checkpoint unreadable.

#include <optional>

#include "files/pickle_value.h"
#include "files/tensor_data.h"

namespace musetalk::files {

// REDUCE / NEWOBJ: `callable(*args)`.
Value* construct_python_object(PickleDocument& doc, const Value& callable, const Value& args);

// BUILD: `obj.__setstate__(state)`.
void apply_python_state(PickleDocument& doc, Value& obj, Value& state);

// torch.FloatStorage, torch.cuda.HalfStorage, ... -> element type; nullopt for other globals.
std::optional<DType> torch_storage_dtype(const Value& storage_class);

}  // namespace musetalk::files
