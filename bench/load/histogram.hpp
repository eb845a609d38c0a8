#pragma once
// Latency histogram in microseconds: exact below 10 ms, then coarse buckets.
#include <algorithm>
#include <array>
#include <cstdint>

namespace hyphae::load {

class Histogram {
public:
    void record(std::uint64_t micros) {
        ++count_;
        if (micros < kFine) {
            ++fine_[micros];
        } else {
            ++coarse_[std::min<std::uint64_t>((micros - kFine) / 1000, kCoarse - 1)];
        }
    }
    std::uint64_t count() const { return count_; }
    // The smallest value with at least `quantile` of the samples at or below it.
    double percentile(double quantile) const {
        if (count_ == 0) return 0;
        const auto target =
            static_cast<std::uint64_t>(quantile * static_cast<double>(count_ - 1)) + 1;
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < kFine; ++i) {
            seen += fine_[i];
            if (seen >= target) return static_cast<double>(i);
        }
        for (std::size_t i = 0; i < kCoarse; ++i) {
            seen += coarse_[i];
            if (seen >= target) return static_cast<double>(kFine + i * 1000);
        }
        return static_cast<double>(kFine + kCoarse * 1000);
    }

private:
    static constexpr std::size_t kFine = 10'000;
    static constexpr std::size_t kCoarse = 10'000;
    std::array<std::uint64_t, kFine> fine_{};
    std::array<std::uint64_t, kCoarse> coarse_{};
    std::uint64_t count_ = 0;
};

}  // namespace hyphae::load
