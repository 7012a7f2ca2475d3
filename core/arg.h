// EMBER_ARG: one option of an options class, as PyTorch's C++ frontend declares them
// (TORCH_ARG, torch/arg.h), so that every option is written once, with its default:
//
//   class Conv2dOptions {
//    public:
//     EMBER_ARG(Pair, stride) = 1;
//   };
//
// declares the chainable setter, the getter of the same name and the private member:
//
//   public:
//     auto& stride(Pair const& new_stride) { stride_ = new_stride; return *this; }
//     Pair const& stride() const noexcept { return stride_; }
//   private:
//     Pair stride_ = 1;
//
// so Conv2dOptions(3, 6, 5).stride(2).padding(1) sets two options and options.stride() reads
// one back. The access after the macro is private: declare the class's other public members
// before its EMBER_ARGs. A type with a comma in it needs an alias (using Betas = ...). The
// macro writes T const&, not const T&, so that T = Generator* gives Generator* const&.
#pragma once

#define EMBER_ARG(T, name)                                      \
 public:                                                        \
  auto& name(T const& new_##name) {                             \
    this->name##_ = new_##name;                                 \
    return *this;                                               \
  }                                                             \
  T const& name() const noexcept { return this->name##_; }      \
                                                                \
 private:                                                       \
  T name##_
