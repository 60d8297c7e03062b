#pragma once
// A conv layer as the kernel sees it: geometry plus weights packed per (group, tap),
// and the whole-sequence forward passes built on the one convolution kernel.
#include "conv_kernel.hpp"
#include "rtconv/activations.hpp"
#include "rtconv/tensor.hpp"

#include <cstddef>
#include <vector>

namespace rtconv::detail {

struct ConvGeometry {
    std::size_t in_channels = 0;
    std::size_t filters = 0;
    std::size_t kernel_size = 1;
    std::size_t strides = 1;
    std::size_t dilation = 1;
    std::size_t groups = 1;
    bool transpose = false;

    std::size_t in_per_group() const { return in_channels / groups; }
    std::size_t out_per_group() const { return filters / groups; }
};

template <class T> struct PackedWeights {
    std::vector<T> kernel; ///< [group][tap] blocks of packed_weight_size(out_per_group, in_per_group)
    std::vector<T> bias;   ///< filters values, empty without bias
    std::size_t tap_size = 0;
    /// For the frame kernel: [group][tap][in_per_group][frame_stride], and the bias as
    /// [group][frame_stride]; rows zero-padded past out_per_group.
    std::vector<T> frame_kernel;
    std::vector<T> frame_bias;
    std::size_t frame_stride = 0;
    std::size_t frame_tap_size = 0; ///< in_per_group * frame_stride

    const T* frame_tap(std::size_t group, std::size_t k, std::size_t kernel_size) const
    {
        return frame_kernel.data() + (group * kernel_size + k) * frame_tap_size;
    }

    const T* tap(std::size_t group, std::size_t k, std::size_t kernel_size) const
    {
        return kernel.data() + (group * kernel_size + k) * tap_size;
    }
};

struct ConvPlan {
    ConvGeometry geometry;
    Activation activation;
    /// Set on a gated WaveNet conv: output rows from gate_row on take this activation instead.
    Activation gate_activation;
    std::size_t gate_row = 0; ///< 0: no gate rows
    PackedWeights<float> f32;
    PackedWeights<double> f64;

    /// Packs a Keras-layout kernel ((k, in/groups, filters), or (k, filters, in) for the transpose)
    /// and bias (may be null) in the kernel's dtype.
    void pack(const Tensor& kernel, const Tensor* bias);

    template <class T> const PackedWeights<T>& weights() const;
};

/// Rows x cols, rows `ld` apart, with kTimeSlack spare columns: what the kernel reads and writes.
template <class T> struct Planar {
    std::vector<T> data;
    std::size_t rows = 0, cols = 0, ld = 0;

    /// Keeps the allocation when it is large enough, so chunk after chunk reuses it.
    void resize(std::size_t rows_, std::size_t cols_)
    {
        rows = rows_;
        cols = cols_;
        ld = cols_ + kTimeSlack;
        if (data.size() < rows * ld + kTimeSlack) data.resize(rows * ld + kTimeSlack);
    }
    /// Bytes resize(rows, cols) allocates, in floating point: a host's sizes may overflow size_t.
    static double bytes(double rows_, double cols_) { return (rows_ * (cols_ + kTimeSlack) + kTimeSlack) * sizeof(T); }
    T* row(std::size_t r) { return data.data() + r * ld; }
    const T* row(std::size_t r) const { return data.data() + r * ld; }
};

/// One sequence (batch item) in Keras layout: steps x channels, or channels x steps.
template <class T> struct SequenceView {
    T* data;
    std::size_t steps, channels;
    bool channels_first;

    T& at(std::size_t t, std::size_t c) const
    {
        return channels_first ? data[c * steps + t] : data[t * channels + c];
    }
};

/// Conv1D over one sequence: output steps [0, y.steps) read the input padded with `pad_left`
/// zeros on the left (and as many as needed on the right). Works in chunks of time so the
/// working set stays in cache. Elementwise activation fused; last-axis ones are the caller's.
template <class T>
void conv1d_forward(const ConvPlan& plan, SequenceView<const T> x, std::size_t pad_left, SequenceView<T> y);

/// Conv1DTranspose over one sequence: output step n is full-result index n + crop_left
/// (TensorFlow's gradient-of-conv semantics).
template <class T>
void conv1d_transpose_forward(const ConvPlan& plan, SequenceView<const T> x, std::size_t crop_left,
                              SequenceView<T> y);

/// Applies a last-axis activation (softmax, log_softmax, sparsemax, glu) to a Keras-layout tensor.
Tensor apply_last_axis_activation(const Activation& activation, const Tensor& y);

} // namespace rtconv::detail
