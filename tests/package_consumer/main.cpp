// y[t] = 2 x[t-1] + x[t] through a causal Conv1D: 1, 3, 3 for x = 1, 1, 1.
#include <rtconv/conv1d.hpp>

#include <cstdio>

int main()
{
    rtconv::Conv1D conv({.filters = 1, .kernel_size = 2, .padding = "causal", .use_bias = false});
    conv.build({1, std::nullopt, 1});
    conv.set_weights({rtconv::Tensor({2, 1, 1}, std::vector<float>{2, 1})});
    const rtconv::Tensor y = conv(rtconv::Tensor({1, 3, 1}, std::vector<float>{1, 1, 1}));
    const bool ok = y.flat(0) == 1 && y.flat(1) == 3 && y.flat(2) == 3;
    std::printf("consumer: %s\n", ok ? "ok" : "wrong output");
    return ok ? 0 : 1;
}
