#pragma once
// Streams a mono signal through a model block by block, as an audio callback would: the WaveNet
// tests' way of producing a render to compare.
#include "rtconv/sequential.hpp"
#include "rtconv/stream.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

namespace rtconv_test {

/// x in blocks of next_block() frames (any size, past max_block too), from silence's steady
/// state when `prewarm`, else from zero history.
template <class NextBlock>
std::vector<float> stream_mono(const rtconv::Sequential& model, const std::vector<float>& x, bool prewarm,
                               std::size_t max_block, NextBlock&& next_block)
{
    rtconv::ModelStream s(model);
    s.prepare({48000.0, max_block, 1});
    if (prewarm) s.prewarm();
    std::vector<float> y(x.size());
    for (std::size_t done = 0; done < x.size();) {
        const std::size_t n = std::min(next_block(), x.size() - done);
        const float* in = x.data() + done;
        float* out = y.data() + done;
        REQUIRE(s.process(&in, &out, n) == n);
        done += n;
    }
    return y;
}

} // namespace rtconv_test
