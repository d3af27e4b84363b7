/// Dot product of two `count`-float vectors.
///
/// Accumulates in f32: four 16-lane accumulators over blocks of 64, one over the remaining
/// blocks of 16, then a scalar tail, always in that order, so the result has the same bits on
/// every call and every machine with the same build. Relative error grows like count / 64 ulps
/// in the worst case; use the row metrics (Double) where cancellation matters.
public func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>(), acc2 = SIMD16<Float>(), acc3 = SIMD16<Float>()
    var i = 0
    while i + 64 <= count {
        acc0.addProduct(OpsSIMD.load(a + i), OpsSIMD.load(b + i))
        acc1.addProduct(OpsSIMD.load(a + i + 16), OpsSIMD.load(b + i + 16))
        acc2.addProduct(OpsSIMD.load(a + i + 32), OpsSIMD.load(b + i + 32))
        acc3.addProduct(OpsSIMD.load(a + i + 48), OpsSIMD.load(b + i + 48))
        i += 64
    }
    while i + 16 <= count {
        acc0.addProduct(OpsSIMD.load(a + i), OpsSIMD.load(b + i))
        i += 16
    }
    var total = OpsSIMD.sum((acc0 + acc1) + (acc2 + acc3))
    while i < count {
        total = total.addingProduct(a[i], b[i])
        i += 1
    }
    return total
}

/// Sum of squares of `count` floats, accumulated in f32 exactly as `dot(a, a, count:)`.
public func sumOfSquares(_ a: UnsafePointer<Float>, count: Int) -> Float {
    dot(a, a, count: count)
}

/// Euclidean norm of `count` floats: `sqrt(sumOfSquares)`, accumulated in f32.
public func norm(_ a: UnsafePointer<Float>, count: Int) -> Float {
    sumOfSquares(a, count: count).squareRoot()
}

/// Sum of `count` floats, accumulated in f32 with the same fixed blocking as `dot`.
public func sum(_ a: UnsafePointer<Float>, count: Int) -> Float {
    var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>(), acc2 = SIMD16<Float>(), acc3 = SIMD16<Float>()
    var i = 0
    while i + 64 <= count {
        acc0 += OpsSIMD.load(a + i)
        acc1 += OpsSIMD.load(a + i + 16)
        acc2 += OpsSIMD.load(a + i + 32)
        acc3 += OpsSIMD.load(a + i + 48)
        i += 64
    }
    while i + 16 <= count {
        acc0 += OpsSIMD.load(a + i)
        i += 16
    }
    var total = OpsSIMD.sum((acc0 + acc1) + (acc2 + acc3))
    while i < count {
        total += a[i]
        i += 1
    }
    return total
}
