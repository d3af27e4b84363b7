#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Per-row comparisons of two (rows x cols) matrices: the block metrics of CFSP.md section 1
// (angular distance, cosine, mean squared and mean absolute difference), computed on the
// hidden states entering and leaving a block. All accumulate in Double (8-lane vectors, fixed
// order): the blocks of a trained model change their input only slightly, so the cosine is
// close to 1, where acos amplifies any rounding error (d(acos)/dc = -1/sqrt(1 - c^2)).

/// The cosine used by the row metrics when a row has zero norm, or the cosine is otherwise not
/// a number (CFSP.md: the reference turns the NaN into 0.5).
public let rowCosineForZeroNorm: Double = 0.5

/// x.y, x.x and y.y of one row, accumulated in Double.
@inline(__always)
private func rowProducts(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, cols: Int)
    -> (xy: Double, xx: Double, yy: Double)
{
    var xy = SIMD8<Double>(), xx = SIMD8<Double>(), yy = SIMD8<Double>()
    var i = 0
    while i + 8 <= cols {
        let a = OpsSIMD.widen(OpsSIMD.load8(x + i))
        let b = OpsSIMD.widen(OpsSIMD.load8(y + i))
        xy.addProduct(a, b)
        xx.addProduct(a, a)
        yy.addProduct(b, b)
        i += 8
    }
    var sxy = OpsSIMD.sum(xy), sxx = OpsSIMD.sum(xx), syy = OpsSIMD.sum(yy)
    while i < cols {
        let a = Double(x[i]), b = Double(y[i])
        sxy += a * b
        sxx += a * a
        syy += b * b
        i += 1
    }
    return (sxy, sxx, syy)
}

/// Cosine of one row pair in Double, clamped to [-1, 1]; `rowCosineForZeroNorm` when a norm is
/// zero or the inputs are not finite.
@inline(__always)
private func rowCosine(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, cols: Int) -> Double {
    let p = rowProducts(x, y, cols: cols)
    let cosine = p.xy / (p.xx.squareRoot() * p.yy.squareRoot())
    if cosine.isNaN { return rowCosineForZeroNorm }
    return Swift.min(1, Swift.max(-1, cosine))
}

/// Per-row cosine similarity of two (rows x cols) matrices: out[r] = x_r.y_r / (|x_r| |y_r|),
/// clamped to [-1, 1]; a zero norm (or non-finite input) gives 0.5, as in CFSP.md section 1.
/// Accumulates in Double.
public func rowCosineSimilarity(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, rows: Int,
                                cols: Int, into out: UnsafeMutablePointer<Float>) {
    for r in 0..<Swift.max(0, rows) {
        out[r] = Float(rowCosine(x + r * cols, y + r * cols, cols: cols))
    }
}

/// Per-row angular distance of two (rows x cols) matrices:
/// out[r] = acos(clamp(cos(x_r, y_r), -1, 1)) / pi in [0, 1], where a zero norm makes cos = 0.5
/// (CFSP.md section 1; the distance is then 1/3). Accumulates and takes acos in Double.
public func rowAngularDistance(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, rows: Int,
                               cols: Int, into out: UnsafeMutablePointer<Float>) {
    for r in 0..<Swift.max(0, rows) {
        out[r] = Float(acos(rowCosine(x + r * cols, y + r * cols, cols: cols)) / Double.pi)
    }
}

/// Per-row mean squared difference: out[r] = mean over c of (x[r][c] - y[r][c])^2 (CFSP.md's
/// `mse` block metric). Accumulates in Double; 0 for cols = 0.
public func rowMeanSquaredDifference(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
                                     rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
    for r in 0..<Swift.max(0, rows) {
        let xr = x + r * cols, yr = y + r * cols
        var acc = SIMD8<Double>()
        var i = 0
        while i + 8 <= cols {
            let d = OpsSIMD.widen(OpsSIMD.load8(xr + i)) - OpsSIMD.widen(OpsSIMD.load8(yr + i))
            acc.addProduct(d, d)
            i += 8
        }
        var total = OpsSIMD.sum(acc)
        while i < cols {
            let d = Double(xr[i]) - Double(yr[i])
            total += d * d
            i += 1
        }
        out[r] = cols > 0 ? Float(total / Double(cols)) : 0
    }
}

/// Per-row mean absolute difference: out[r] = mean over c of |x[r][c] - y[r][c]| (CFSP.md's
/// `mae` block metric). Accumulates in Double; 0 for cols = 0.
public func rowMeanAbsoluteDifference(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
                                      rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
    for r in 0..<Swift.max(0, rows) {
        let xr = x + r * cols, yr = y + r * cols
        var acc = SIMD8<Double>()
        var i = 0
        while i + 8 <= cols {
            let d = OpsSIMD.widen(OpsSIMD.load8(xr + i)) - OpsSIMD.widen(OpsSIMD.load8(yr + i))
            acc += d.replacing(with: -d, where: d .< 0)
            i += 8
        }
        var total = OpsSIMD.sum(acc)
        while i < cols {
            total += Swift.abs(Double(xr[i]) - Double(yr[i]))
            i += 1
        }
        out[r] = cols > 0 ? Float(total / Double(cols)) : 0
    }
}

/// The four block metrics of each row pair in one pass over x and y (the calibration observer
/// reads each block's input and output once instead of five times): `angular`, `cosine`,
/// `squared` and `absolute` receive exactly what `rowAngularDistance`, `rowCosineSimilarity`,
/// `rowMeanSquaredDifference` and `rowMeanAbsoluteDifference` write (the same accumulators,
/// lanes and order, so the same bits).
public func rowBlockMetrics(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, rows: Int, cols: Int,
                            angular: UnsafeMutablePointer<Float>, cosine: UnsafeMutablePointer<Float>,
                            squared: UnsafeMutablePointer<Float>, absolute: UnsafeMutablePointer<Float>) {
    for r in 0..<Swift.max(0, rows) {
        let xr = x + r * cols, yr = y + r * cols
        var xy = SIMD8<Double>(), xx = SIMD8<Double>(), yy = SIMD8<Double>()
        var squares = SIMD8<Double>(), magnitudes = SIMD8<Double>()
        var i = 0
        while i + 8 <= cols {
            let a = OpsSIMD.widen(OpsSIMD.load8(xr + i))
            let b = OpsSIMD.widen(OpsSIMD.load8(yr + i))
            xy.addProduct(a, b)
            xx.addProduct(a, a)
            yy.addProduct(b, b)
            let d = a - b
            squares.addProduct(d, d)
            magnitudes += d.replacing(with: -d, where: d .< 0)
            i += 8
        }
        var sxy = OpsSIMD.sum(xy), sxx = OpsSIMD.sum(xx), syy = OpsSIMD.sum(yy)
        var squareTotal = OpsSIMD.sum(squares), magnitudeTotal = OpsSIMD.sum(magnitudes)
        while i < cols {
            let a = Double(xr[i]), b = Double(yr[i])
            sxy += a * b
            sxx += a * a
            syy += b * b
            let d = a - b
            squareTotal += d * d
            magnitudeTotal += Swift.abs(d)
            i += 1
        }
        var c = sxy / (sxx.squareRoot() * syy.squareRoot())
        c = c.isNaN ? rowCosineForZeroNorm : Swift.min(1, Swift.max(-1, c))
        cosine[r] = Float(c)
        angular[r] = Float(acos(c) / Double.pi)
        squared[r] = cols > 0 ? Float(squareTotal / Double(cols)) : 0
        absolute[r] = cols > 0 ? Float(magnitudeTotal / Double(cols)) : 0
    }
}
