/// How a K-quant block's sub-block scales are chosen.
package enum KQuantScaleChoice: Sendable {
    /// Search candidate scales (and minimums) for the lowest weighted squared error, as
    /// llama.cpp's quantizers do.
    case search
    /// The plain round-to-nearest scale from the sub-block's extremes; only a baseline for
    /// measuring what the search gains.
    case extremes
}

/// The scale (and minimum) searches of the K-quants, on one sub-block at a time.
///
/// The algorithms are those of ggml's reference quantizers (`make_qkx2_quants` for Q4_K/Q5_K,
/// `make_qx_quants` for Q6_K), reproduced operation for operation in f32 so an export
/// quantizes exactly as llama.cpp's `llama-quantize` does without an importance matrix.
enum QuantizeKSearch {
    /// The candidate grid of the asymmetric search: levels `nmax + start + step * i` spread over
    /// the sub-block's range, for `i` in `0...steps`.
    struct Grid {
        var start: Float
        var step: Float
        var steps: Int
    }

    /// Fits `x[i] ≈ scale * L[i] - minimum` with `L[i]` in `0...nmax` and `minimum >= 0`,
    /// minimising the `w`-weighted squared error. Starts from round-to-nearest over
    /// `[min(x, 0), max(x)]`, then tries each grid level: levels by rounding, scale and
    /// minimum by weighted least squares (the minimum clipped at 0), kept when the error drops.
    /// `levels` receives the chosen L; `scratch` holds `count` bytes of trial levels.
    static func scaleAndMinimum(
        _ x: UnsafePointer<Float>, weights w: UnsafePointer<Float>, count n: Int, nmax: Int, grid: Grid,
        levels: UnsafeMutablePointer<UInt8>, scratch: UnsafeMutablePointer<UInt8>, choice: KQuantScaleChoice
    ) -> (scale: Float, minimum: Float) {
        var low = x[0]
        var high = x[0]
        var sumW = w[0]
        var sumX = sumW * x[0]
        for i in 1..<n {
            if x[i] < low { low = x[i] }
            if x[i] > high { high = x[i] }
            sumW += w[i]
            sumX += w[i] * x[i]
        }
        if low > 0 { low = 0 }
        if high == low {
            for i in 0..<n { levels[i] = 0 }
            return (0, -low)
        }
        let top = Float(nmax)
        var iscale = top / (high - low)
        var scale = 1 / iscale
        var bestError: Float = 0
        for i in 0..<n {
            let l = QuantizeRounding.clamp(QuantizeRounding.nearest(iscale * (x[i] - low)), 0, nmax)
            levels[i] = UInt8(l)
            let diff = scale * Float(l) + low - x[i]
            bestError += w[i] * (diff * diff)
        }
        guard choice == .search, grid.steps >= 1 else { return (scale, -low) }
        for step in 0...grid.steps {
            iscale = (grid.start + grid.step * Float(step) + top) / (high - low)
            var sumL: Float = 0
            var sumL2: Float = 0
            var sumXL: Float = 0
            for i in 0..<n {
                let l = QuantizeRounding.clamp(QuantizeRounding.nearest(iscale * (x[i] - low)), 0, nmax)
                scratch[i] = UInt8(l)
                let fl = Float(l)
                sumL += w[i] * fl
                sumL2 += w[i] * fl * fl
                sumXL += w[i] * fl * x[i]
            }
            let determinant = sumW * sumL2 - sumL * sumL
            guard determinant > 0 else { continue }
            var trialScale = (sumW * sumXL - sumX * sumL) / determinant
            var trialMin = (sumL2 * sumX - sumL * sumXL) / determinant
            if trialMin > 0 {
                trialMin = 0
                trialScale = sumXL / sumL2
            }
            var error: Float = 0
            for i in 0..<n {
                let diff = trialScale * Float(scratch[i]) + trialMin - x[i]
                error += w[i] * (diff * diff)
            }
            if error < bestError {
                for i in 0..<n { levels[i] = scratch[i] }
                bestError = error
                scale = trialScale
                low = trialMin
            }
        }
        return (scale, -low)
    }

    /// Fits `x[i] ≈ scale * (L[i] - nmax)` with `L[i]` in `0..<2 nmax`, weights `x[i]^2` (large
    /// values matter most). The value of largest magnitude maps to level 0; the search then
    /// tries 18 nearby level counts (`nmax ± 0.1 i`) and keeps the least-squares scale of the
    /// best. Returns the scale (0 for an all-zero sub-block); `levels` receives L.
    static func symmetricScale(
        _ x: UnsafePointer<Float>, count n: Int, nmax: Int, levels: UnsafeMutablePointer<UInt8>, choice: KQuantScaleChoice
    ) -> Float {
        var amax: Float = 0
        var extreme: Float = 0
        for i in 0..<n where abs(x[i]) > amax {
            amax = abs(x[i])
            extreme = x[i]
        }
        if amax < 1e-15 {
            for i in 0..<n { levels[i] = 0 }
            return 0
        }
        let top = Float(nmax)
        func level(_ value: Float, _ iscale: Float) -> Int {
            QuantizeRounding.clamp(QuantizeRounding.nearest(iscale * value), -nmax, nmax - 1)
        }
        var iscale = -top / extreme
        guard choice == .search else {
            for i in 0..<n { levels[i] = UInt8(level(x[i], iscale) + nmax) }
            return 1 / iscale
        }
        var sumLX: Float = 0
        var sumL2: Float = 0
        for i in 0..<n {
            let l = level(x[i], iscale)
            levels[i] = UInt8(l + nmax)
            let w = x[i] * x[i]
            sumLX += w * x[i] * Float(l)
            sumL2 += w * Float(l) * Float(l)
        }
        var scale = sumL2 != 0 ? sumLX / sumL2 : 0
        var best = scale * sumLX
        for candidate in -9...9 where candidate != 0 {
            iscale = -(top + 0.1 * Float(candidate)) / extreme
            sumLX = 0
            sumL2 = 0
            for i in 0..<n {
                let l = level(x[i], iscale)
                let w = x[i] * x[i]
                sumLX += w * x[i] * Float(l)
                sumL2 += w * Float(l) * Float(l)
            }
            if sumL2 > 0 && sumLX * sumLX > best * sumL2 {
                for i in 0..<n { levels[i] = UInt8(level(x[i], iscale) + nmax) }
                scale = sumLX / sumL2
                best = scale * sumLX
            }
        }
        return scale
    }
}
