// seed_inference: the tutorial's "save/load state_dict for inference", in C++.
//
//   seed_inference STATE INPUT OUTPUT
//
// STATE is a .pt file holding either a bare state_dict (torch.save(model.state_dict(), PATH))
// or a checkpoint dict with "model_state_dict" (the tutorial's resume checkpoint). INPUT is a
// .pt file holding one float32 tensor of shape (N, 3, 32, 32). The program builds the
// tutorial's TheModelClass, loads the weights, calls eval() (as the tutorial insists), runs the
// forward pass and saves the logits (N, 10) to OUTPUT, which torch.load opens.
#include <CLI/CLI.hpp>
#include <iostream>

#include <ember/ember.h>
#include "the_model_class.h"

using namespace ember;

int main(int argc, char** argv) {
  CLI::App app{"Run the tutorial's TheModelClass on a batch, with weights from a .pt file."};
  std::string state_path, input_path, output_path;
  app.add_option("STATE", state_path, "state_dict or checkpoint (.pt)")->required();
  app.add_option("INPUT", input_path, "float32 tensor (N, 3, 32, 32) (.pt)")->required();
  app.add_option("OUTPUT", output_path, "where to save the logits (N, 10) (.pt)")->required();
  CLI11_PARSE(app, argc, argv);

  try {
    // model = TheModelClass(); model.load_state_dict(torch.load(PATH)); model.eval()
    Value state = load(state_path);
    if (state.is_dict() && state.contains("model_state_dict")) state = state.at("model_state_dict");
    examples::TheModelClass model;
    model.load_state_dict(state);
    model.eval();

    const Value input_value = load(input_path);
    check(input_value.is_tensor(), input_path, ": expected a file holding one tensor, found a ",
          input_value.kind_name());
    const Tensor& input = input_value.as_tensor();
    check(input.dtype() == kFloat32 && input.dim() == 4 && input.size(1) == 3 &&
              input.size(2) == 32 && input.size(3) == 32,
          input_path, ": expected a float32 tensor of shape (N, 3, 32, 32), found ",
          dtype_name(input.dtype()), " ", input.shape());

    Tensor logits;
    {
      NoGradGuard no_grad;  // inference: no graph
      logits = model(input);
    }
    save(Value(logits), output_path);
    std::cout << "seed_inference: wrote logits " << shape_str(logits.shape()) << " to "
              << output_path << "\n";
  } catch (const std::exception& e) {
    std::cerr << "seed_inference: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
