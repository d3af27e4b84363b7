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

/// The sums behind every row metric, over one row pair, each accumulated in Double in its own
/// 8 lanes (then the scalar tail) in a fixed order: x.y, x.x, y.y, sum (x - y)^2, sum |x - y|.
/// One loop computes them all, so each metric has the same bits whether it is asked for alone or
/// with the others (`rowBlockMetrics`).
private struct RowSums {
    var xy: Double, xx: Double, yy: Double, squares: Double, magnitudes: Double

    @inline(__always)
    init(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, cols: Int) {
        var xy = SIMD8<Double>(), xx = SIMD8<Double>(), yy = SIMD8<Double>()
        var squares = SIMD8<Double>(), magnitudes = SIMD8<Double>()
        var i = 0
        while i + 8 <= cols {
            let a = OpsSIMD.widen(OpsSIMD.load8(x + i))
            let b = OpsSIMD.widen(OpsSIMD.load8(y + i))
            xy.addProduct(a, b)
            xx.addProduct(a, a)
            yy.addProduct(b, b)
            let d = a - b
            squares.addProduct(d, d)
            magnitudes += d.replacing(with: -d, where: d .< 0)
            i += 8
        }
        self.xy = OpsSIMD.sum(xy)
        self.xx = OpsSIMD.sum(xx)
        self.yy = OpsSIMD.sum(yy)
        self.squares = OpsSIMD.sum(squares)
        self.magnitudes = OpsSIMD.sum(magnitudes)
        while i < cols {
            let a = Double(x[i]), b = Double(y[i])
            self.xy += a * b
            self.xx += a * a
            self.yy += b * b
            let d = a - b
            self.squares += d * d
            self.magnitudes += Swift.abs(d)
            i += 1
        }
    }

    /// The cosine, clamped to [-1, 1]; `rowCosineForZeroNorm` when a norm is zero or the inputs
    /// are not finite.
    var cosine: Double {
        let c = xy / (xx.squareRoot() * yy.squareRoot())
        return c.isNaN ? rowCosineForZeroNorm : Swift.min(1, Swift.max(-1, c))
    }

    /// acos(cosine) / pi in [0, 1].
    var angularDistance: Double { acos(cosine) / Double.pi }

    /// Mean of (x - y)^2 over `cols` values (0 for none).
    func meanSquaredDifference(cols: Int) -> Double { cols > 0 ? squares / Double(cols) : 0 }

    /// Mean of |x - y| over `cols` values (0 for none).
    func meanAbsoluteDifference(cols: Int) -> Double { cols > 0 ? magnitudes / Double(cols) : 0 }
}

/// Per-row cosine similarity of two (rows x cols) matrices: out[r] = x_r.y_r / (|x_r| |y_r|),
/// clamped to [-1, 1]; a zero norm (or non-finite input) gives 0.5, as in CFSP.md section 1.
/// Accumulates in Double.
public func rowCosineSimilarity(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, rows: Int,
                                cols: Int, into out: UnsafeMutablePointer<Float>) {
    for r in 0..<Swift.max(0, rows) { out[r] = Float(RowSums(x + r * cols, y + r * cols, cols: cols).cosine) }
}

/// Per-row angular distance of two (rows x cols) matrices:
/// out[r] = acos(clamp(cos(x_r, y_r), -1, 1)) / pi in [0, 1], where a zero norm makes cos = 0.5
/// (CFSP.md section 1; the distance is then 1/3). Accumulates and takes acos in Double.
public func rowAngularDistance(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, rows: Int,
                               cols: Int, into out: UnsafeMutablePointer<Float>) {
    for r in 0..<Swift.max(0, rows) {
        out[r] = Float(RowSums(x + r * cols, y + r * cols, cols: cols).angularDistance)
    }
}

/// Per-row mean squared difference: out[r] = mean over c of (x[r][c] - y[r][c])^2 (CFSP.md's
/// `mse` block metric). Accumulates in Double; 0 for cols = 0.
public func rowMeanSquaredDifference(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
                                     rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
    for r in 0..<Swift.max(0, rows) {
        out[r] = Float(RowSums(x + r * cols, y + r * cols, cols: cols).meanSquaredDifference(cols: cols))
    }
}

/// Per-row mean absolute difference: out[r] = mean over c of |x[r][c] - y[r][c]| (CFSP.md's
/// `mae` block metric). Accumulates in Double; 0 for cols = 0.
public func rowMeanAbsoluteDifference(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
                                      rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
    for r in 0..<Swift.max(0, rows) {
        out[r] = Float(RowSums(x + r * cols, y + r * cols, cols: cols).meanAbsoluteDifference(cols: cols))
    }
}

/// The four block metrics of each row pair in one pass over x and y (the calibration observer
/// reads each block's input and output once instead of four times): `angular`, `cosine`,
/// `squared` and `absolute` receive exactly what `rowAngularDistance`, `rowCosineSimilarity`,
/// `rowMeanSquaredDifference` and `rowMeanAbsoluteDifference` write.
public func rowBlockMetrics(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, rows: Int, cols: Int,
                            angular: UnsafeMutablePointer<Float>, cosine: UnsafeMutablePointer<Float>,
                            squared: UnsafeMutablePointer<Float>, absolute: UnsafeMutablePointer<Float>) {
    for r in 0..<Swift.max(0, rows) {
        let sums = RowSums(x + r * cols, y + r * cols, cols: cols)
        cosine[r] = Float(sums.cosine)
        angular[r] = Float(sums.angularDistance)
        squared[r] = Float(sums.meanSquaredDifference(cols: cols))
        absolute[r] = Float(sums.meanAbsoluteDifference(cols: cols))
    }
}
