// Hist: where latencies, send lags and handshake times are counted (one per worker thread,
// merged by the main thread after the run).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

// Log-linear histogram of non-negative integers (microseconds): values < 128
// exact, above that 64 buckets per power of two (bucket width <= 1/64 of the
// value; the reported midpoint is within 0.8 %). Same layout as lib/hist.js.
struct Hist {
  static constexpr int SUB = 64, LINEAR = 128;
  static constexpr int NB = LINEAR + (63 - 7 + 1) * SUB;
  std::vector<uint64_t> counts = std::vector<uint64_t>(NB, 0);
  uint64_t n = 0, max = 0, min = UINT64_MAX;
  double sum = 0;
  static int bucket(uint64_t v) {
    if (v < uint64_t(LINEAR)) return int(v);
    int e = 63 - __builtin_clzll(v);
    int shift = e - 6;
    int m = int((v >> shift) & (SUB * 2 - 1));
    return LINEAR + (e - 7) * SUB + (m - SUB);
  }
  static double mid(int i) {
    if (i < LINEAR) return i;
    int e = (i - LINEAR) / SUB + 7;
    int m = (i - LINEAR) % SUB + SUB;
    double lo = std::ldexp(double(m), e - 6);
    double hi = std::ldexp(double(m + 1), e - 6) - 1;
    return (lo + hi) / 2;
  }
  inline void record(uint64_t v) {
    counts[bucket(v)]++;
    n++;
    sum += double(v);
    if (v > max) max = v;
    if (v < min) min = v;
  }
  void merge(const Hist& o) {
    for (int i = 0; i < NB; i++) counts[i] += o.counts[i];
    n += o.n;
    sum += o.sum;
    if (o.n) {
      max = std::max(max, o.max);
      min = std::min(min, o.min);
    }
  }
  double pct(double p) const {  // NaN when empty
    if (!n) return NAN;
    if (p >= 100) return double(max);
    uint64_t target = uint64_t(std::ceil(p / 100.0 * double(n)));
    if (target == 0) target = 1;
    uint64_t acc = 0;
    for (int i = 0; i < NB; i++) {
      acc += counts[i];
      if (acc >= target && counts[i]) return std::min(mid(i), double(max));
    }
    return double(max);
  }
  double mean() const { return n ? sum / double(n) : NAN; }
};
