#pragma once
// A bound on the weights a layer may take while a model file is read. A layer is built (its weights
// allocated, initialized and packed) before the reader can check the file's arrays against it, so a
// config of a few bytes (filters 4096, kernel_size 1024 over 4096 channels, a BatchNormalization of
// 16 million channels) would cost a gigabyte and seconds before the weights were found missing. The
// native and RTNeural readers set the budget to the values their file holds: no layer of a file
// that loads takes more, since all of its weights come from the file.
#include <cstddef>

namespace rtconv::detail {

class WeightBudget {
public:
    /// In force on this thread while it lives; Layer::add_weight refuses what would pass it.
    explicit WeightBudget(std::size_t weights);
    ~WeightBudget();
    WeightBudget(const WeightBudget&) = delete;
    WeightBudget& operator=(const WeightBudget&) = delete;

    /// The budget in force on this thread, or nullptr.
    static const WeightBudget* current();
    std::size_t weights() const { return weights_; }

private:
    std::size_t weights_;
    const WeightBudget* outer_;
};

} // namespace rtconv::detail
