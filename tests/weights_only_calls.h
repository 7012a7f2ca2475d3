// What REDUCE does in the weights_only checker: the call of an allowed global.
#pragma once

#include <vector>

#include "tests/weights_only_values.h"

namespace ember::test::weights_only {

// func(*args) for a GLOBAL that the rules allow, reduced to the type of its result: what the
// later opcodes may do with a value depends on nothing else. Refuses (throws Refusal) a call
// that would fail in PyTorch: a value that is not callable, a wrong number of arguments, or a
// tensor view that _rebuild_tensor_v2 could not rebuild.
Ref call(const Obj& func, const std::vector<Ref>& args, TorchRules rules);

}  // namespace ember::test::weights_only
