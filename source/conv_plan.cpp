#include "conv_plan.hpp"

#include "rtconv/error.hpp"

#include <algorithm>
#include <cstdint>

namespace rtconv::detail {
namespace {

template <class T>
void pack_into(const ConvGeometry& g, const Tensor& kernel, const Tensor* bias, PackedWeights<T>& out)
{
    const T* w = kernel.data<T>();
    const std::size_t rows = g.out_per_group(), cin = g.in_per_group();
    out.tap_size = packed_weight_size(rows, cin);
    out.kernel.assign(g.groups * g.kernel_size * out.tap_size, T(0));
    for (std::size_t grp = 0; grp < g.groups; ++grp)
        for (std::size_t k = 0; k < g.kernel_size; ++k) {
            T* dst = out.kernel.data() + (grp * g.kernel_size + k) * out.tap_size;
            if (g.transpose) // (k, filters, in): W_k[f, c]
                pack_weights(w + k * g.filters * g.in_channels, g.in_channels, 1, rows, cin, dst);
            else // (k, in/groups, filters): W_k[f, c] of group grp
                pack_weights(w + k * cin * g.filters + grp * rows, 1, g.filters, rows, cin, dst);
        }
    if (bias)
        out.bias.assign(bias->data<T>(), bias->data<T>() + bias->size());
    else
        out.bias.clear();

    out.frame_stride = (rows + kFrameLanes<T> - 1) / kFrameLanes<T> * kFrameLanes<T>;
    out.frame_tap_size = cin * out.frame_stride;
    out.frame_kernel.assign(g.groups * g.kernel_size * out.frame_tap_size, T(0));
    for (std::size_t grp = 0; grp < g.groups; ++grp)
        for (std::size_t k = 0; k < g.kernel_size; ++k)
            for (std::size_t c = 0; c < cin; ++c) {
                T* dst = out.frame_kernel.data() + ((grp * g.kernel_size + k) * cin + c) * out.frame_stride;
                for (std::size_t o = 0; o < rows; ++o)
                    dst[o] = g.transpose ? w[(k * g.filters + o) * g.in_channels + c] // (k, filters, in)
                                         : w[(k * cin + c) * g.filters + grp * rows + o]; // (k, in/groups, filters)
            }
    out.frame_bias.clear();
    if (bias) {
        out.frame_bias.assign(g.groups * out.frame_stride, T(0));
        for (std::size_t grp = 0; grp < g.groups; ++grp)
            std::copy_n(out.bias.data() + grp * rows, rows, out.frame_bias.data() + grp * out.frame_stride);
    }
}

std::size_t ceil_div(std::size_t a, std::size_t b)
{
    return (a + b - 1) / b;
}

template <class T>
void run_kernel(const ConvPlan& plan, const std::vector<ConvTap<T>>& taps, std::size_t cin, T* y, std::size_t ldy,
                std::size_t rows, std::size_t cols, const T* bias)
{
    if (cols == 0) return;
    ConvKernelArgs<T> args{};
    args.y = y;
    args.ldy = ldy;
    args.rows = rows;
    args.cols = cols;
    args.cin = cin;
    args.taps = taps.data();
    args.num_taps = taps.size();
    args.bias = bias;
    args.activation = plan.activation.is_elementwise() ? &plan.activation : nullptr;
    kernels_for<T>().conv(args);
}

// Output steps per chunk: keeps a chunk's input and output in cache, while a long dilated
// kernel's span re-gathered with every chunk stays a small share of it.
std::size_t chunk_steps(const ConvGeometry& g)
{
    return std::max<std::size_t>(1024, 4 * (g.kernel_size - 1) * g.dilation);
}

/// Input steps [begin, begin + count) of x as channels x time, zeros outside the sequence.
template <class T> void gather(SequenceView<const T> x, std::ptrdiff_t begin, std::size_t count, Planar<T>& dst)
{
    dst.resize(x.channels, count);
    const auto first = static_cast<std::size_t>(std::clamp<std::ptrdiff_t>(-begin, 0, static_cast<std::ptrdiff_t>(count)));
    const auto last = static_cast<std::size_t>(
        std::clamp<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(x.steps) - begin, 0, static_cast<std::ptrdiff_t>(count)));
    for (std::size_t c = 0; c < x.channels; ++c) {
        T* row = dst.row(c);
        std::fill(row, row + first, T(0));
        std::fill(row + std::max(first, last), row + count, T(0));
    }
    if (last <= first) return;
    const std::size_t t0 = static_cast<std::size_t>(begin + static_cast<std::ptrdiff_t>(first));
    if (x.channels_first) {
        for (std::size_t c = 0; c < x.channels; ++c)
            std::copy_n(x.data + c * x.steps + t0, last - first, dst.row(c) + first);
        return;
    }
    // channels_last: a transpose, done a few channels at a time so every destination row
    // being written stays in a cache line of its own.
    constexpr std::size_t kRowsAtOnce = 8;
    for (std::size_t c0 = 0; c0 < x.channels; c0 += kRowsAtOnce) {
        const std::size_t c1 = std::min(x.channels, c0 + kRowsAtOnce);
        const T* src = x.data + t0 * x.channels;
        for (std::size_t j = first; j < last; ++j, src += x.channels)
            for (std::size_t c = c0; c < c1; ++c) dst.row(c)[j] = src[c];
    }
}

/// Column j of src goes to output step first + j * step.
template <class T> void scatter(const Planar<T>& src, SequenceView<T> y, std::size_t first, std::size_t step)
{
    if (y.channels_first) {
        for (std::size_t c = 0; c < src.rows; ++c) {
            const T* row = src.row(c);
            T* dst = y.data + c * y.steps + first;
            for (std::size_t j = 0; j < src.cols; ++j) dst[j * step] = row[j];
        }
        return;
    }
    T* dst = y.data + first * y.channels;
    const std::size_t stride = step * y.channels;
    for (std::size_t j = 0; j < src.cols; ++j, dst += stride)
        for (std::size_t c = 0; c < src.rows; ++c) dst[c] = src.row(c)[j];
}

} // namespace

void ConvPlan::pack(const Tensor& kernel, const Tensor* bias)
{
    // A stream may run a layer in the other dtype: its kernel arrives cast, its bias may not.
    const Tensor cast_bias = bias ? bias->astype(kernel.dtype()) : Tensor();
    const Tensor* packed_bias = bias ? &cast_bias : nullptr;
    if (kernel.dtype() == DType::float32) {
        pack_into(geometry, kernel, packed_bias, f32);
        f64 = {};
    } else {
        pack_into(geometry, kernel, packed_bias, f64);
        f32 = {};
    }
}

template <> const PackedWeights<float>& ConvPlan::weights<float>() const { return f32; }
template <> const PackedWeights<double>& ConvPlan::weights<double>() const { return f64; }

namespace {

/// Output frames [first, first + count) of a channels_last Conv1D whose input rows, from the
/// one output frame `first` starts at, begin at `x_first` (rows of x.channels values).
template <class T>
void conv1d_frames(const ConvPlan& plan, const T* x_first, std::size_t channels, T* y_first, std::size_t count)
{
    const ConvGeometry& g = plan.geometry;
    const PackedWeights<T>& w = plan.weights<T>();
    const std::size_t cin = g.in_per_group(), cout = g.out_per_group();
    std::vector<ConvTap<T>> taps(g.kernel_size);
    FrameKernelArgs<T> args{};
    args.ldy = g.filters;
    args.y_chan = 1;
    args.frames = count;
    args.cout = cout;
    args.w_stride = w.frame_stride;
    args.cin = cin;
    args.taps = taps.data();
    args.x_step = g.strides * channels;
    args.num_taps = g.kernel_size;
    args.activation = plan.activation.is_elementwise() ? &plan.activation : nullptr;
    for (std::size_t grp = 0; grp < g.groups; ++grp) {
        for (std::size_t k = 0; k < g.kernel_size; ++k)
            taps[k] = {x_first + k * g.dilation * channels + grp * cin, 1, w.frame_tap(grp, k, g.kernel_size)};
        args.y = y_first + grp * cout;
        args.bias = w.frame_bias.empty() ? nullptr : w.frame_bias.data() + grp * w.frame_stride;
        kernels_for<T>().frames(args);
    }
}

/// Conv1D on a channels_last sequence, straight from Keras' layout: the frames whose taps fall
/// inside x read it in place; the few at the edges read a zero-padded copy.
template <class T>
void conv1d_forward_frames(const ConvPlan& plan, SequenceView<const T> x, std::size_t pad_left, SequenceView<T> y)
{
    const ConvGeometry& g = plan.geometry;
    const std::size_t s = g.strides, span = (g.kernel_size - 1) * g.dilation, C = x.channels;
    // Output frame t reads input rows t*s - pad_left ... t*s - pad_left + span.
    const std::size_t inner_begin = std::min(y.steps, ceil_div(pad_left, s));
    const std::size_t inner_end =
        x.steps + pad_left > span ? std::min(y.steps, (x.steps + pad_left - span - 1) / s + 1) : 0;
    if (inner_begin < inner_end)
        conv1d_frames(plan, x.data + (inner_begin * s - pad_left) * C, C, y.data + inner_begin * g.filters,
                      inner_end - inner_begin);

    std::vector<T> padded;
    const auto edge = [&](std::size_t first, std::size_t last) {
        if (first >= last) return;
        const auto row0 = static_cast<std::ptrdiff_t>(first * s) - static_cast<std::ptrdiff_t>(pad_left);
        const std::size_t rows = (last - 1 - first) * s + span + 1;
        padded.assign(rows * C, T(0));
        for (std::size_t r = 0; r < rows; ++r) {
            const std::ptrdiff_t t = row0 + static_cast<std::ptrdiff_t>(r);
            if (t >= 0 && t < static_cast<std::ptrdiff_t>(x.steps))
                std::copy_n(x.data + static_cast<std::size_t>(t) * C, C, padded.data() + r * C);
        }
        conv1d_frames(plan, padded.data(), C, y.data + first * g.filters, last - first);
    };
    if (inner_begin < inner_end) {
        edge(0, inner_begin);
        edge(inner_end, y.steps);
    } else {
        edge(0, y.steps);
    }
}

} // namespace

template <class T>
void conv1d_forward(const ConvPlan& plan, SequenceView<const T> x, std::size_t pad_left, SequenceView<T> y)
{
    if (!x.channels_first) return conv1d_forward_frames(plan, x, pad_left, y);

    const ConvGeometry& g = plan.geometry;
    const PackedWeights<T>& w = plan.weights<T>();
    const std::size_t s = g.strides, cin = g.in_per_group(), cout = g.out_per_group();

    Planar<T> in, out;
    // A strided conv reads every s-th column: split the input into s phases so each tap reads
    // a contiguous row again (tap k reads phase k % s from column k / s).
    std::vector<Planar<T>> phases(s > 1 ? s : 0);
    std::vector<ConvTap<T>> taps(g.kernel_size);
    const std::size_t chunk = chunk_steps(g);
    for (std::size_t t0 = 0; t0 < y.steps; t0 += chunk) {
        const std::size_t n = std::min(chunk, y.steps - t0);
        const std::size_t span = (n - 1) * s + (g.kernel_size - 1) * g.dilation + 1;
        gather(x, static_cast<std::ptrdiff_t>(t0 * s) - static_cast<std::ptrdiff_t>(pad_left), span, in);
        for (std::size_t p = 0; p < phases.size(); ++p) {
            const std::size_t len = span > p ? ceil_div(span - p, s) : 0;
            phases[p].resize(in.rows, len);
            for (std::size_t c = 0; c < in.rows; ++c)
                for (std::size_t j = 0; j < len; ++j) phases[p].row(c)[j] = in.row(c)[j * s + p];
        }
        out.resize(g.filters, n);
        for (std::size_t grp = 0; grp < g.groups; ++grp) {
            for (std::size_t k = 0; k < g.kernel_size; ++k) {
                const Planar<T>& src = s > 1 ? phases[k % s] : in;
                const std::size_t col = s > 1 ? k / s : k * g.dilation;
                taps[k] = {src.row(grp * cin) + col, src.ld, w.tap(grp, k, g.kernel_size)};
            }
            run_kernel(plan, taps, cin, out.row(grp * cout), out.ld, cout, n,
                       w.bias.empty() ? nullptr : w.bias.data() + grp * cout);
        }
        scatter(out, y, t0, 1);
    }
}

template <class T>
void conv1d_transpose_forward(const ConvPlan& plan, SequenceView<const T> x, std::size_t crop_left,
                              SequenceView<T> y)
{
    const ConvGeometry& g = plan.geometry;
    const PackedWeights<T>& w = plan.weights<T>();
    const std::size_t s = g.strides;
    const T* bias = w.bias.empty() ? nullptr : w.bias.data();

    // Full-result index m = i*s + k*d receives x[i] * W_k. Output phase r = m % s gathers the
    // taps with k*d = r (mod s), each reading x at i = q - e_k with e_k = (k*d - r) / s:
    // an ordinary convolution per phase, whose column q lands on output step q*s + r - crop_left.
    const std::size_t lead = (g.kernel_size - 1) * g.dilation / s; // the largest e_k
    Planar<T> in, out;
    std::vector<ConvTap<T>> taps;
    const std::size_t chunk = chunk_steps(g) * s;
    for (std::size_t n0 = 0; n0 < y.steps; n0 += chunk) {
        const std::size_t m0 = n0 + crop_left, m1 = std::min(n0 + chunk, y.steps) + crop_left;
        const std::size_t q_first = m0 / s; // no phase starts before it
        gather(x, static_cast<std::ptrdiff_t>(q_first) - static_cast<std::ptrdiff_t>(lead),
               ceil_div(m1, s) - q_first + lead, in);
        for (std::size_t r = 0; r < s; ++r) {
            const std::size_t q0 = m0 > r ? ceil_div(m0 - r, s) : 0;
            const std::size_t q1 = m1 > r ? ceil_div(m1 - r, s) : 0;
            if (q1 <= q0) continue;
            taps.clear();
            for (std::size_t k = 0; k < g.kernel_size; ++k) {
                const std::size_t kd = k * g.dilation;
                if (kd % s != r) continue;
                const std::size_t e = (kd - r) / s;
                taps.push_back({in.row(0) + (q0 - q_first) + lead - e, in.ld, w.tap(0, k, g.kernel_size)});
            }
            out.resize(g.filters, q1 - q0);
            run_kernel(plan, taps, g.in_channels, out.row(0), out.ld, g.filters, q1 - q0, bias);
            scatter(out, y, q0 * s + r - crop_left, s);
        }
    }
}

Tensor apply_last_axis_activation(const Activation& activation, const Tensor& y)
{
    Shape shape = y.shape();
    const std::size_t axis = shape.back();
    const std::size_t outer = axis ? y.size() / axis : 0;
    shape.back() = activation.output_channels(axis);
    Tensor out(shape, y.dtype());
    if (y.dtype() == DType::float32)
        activation.apply_last_axis(y.data<float>(), out.data<float>(), outer, axis);
    else
        activation.apply_last_axis(y.data<double>(), out.data<double>(), outer, axis);
    return out;
}

#define RTCONV_INSTANTIATE(T)                                                                                   \
    template void conv1d_forward<T>(const ConvPlan&, SequenceView<const T>, std::size_t, SequenceView<T>);    \
    template void conv1d_transpose_forward<T>(const ConvPlan&, SequenceView<const T>, std::size_t,             \
                                              SequenceView<T>);
RTCONV_INSTANTIATE(float)
RTCONV_INSTANTIATE(double)
#undef RTCONV_INSTANTIATE

} // namespace rtconv::detail
