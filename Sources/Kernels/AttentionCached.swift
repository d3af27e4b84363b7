#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Attention of new queries against a key/value cache: the step of incremental decoding.
///
/// q is (tokens x heads*headDim) for the queries at positions start..<start+tokens; keys and
/// values are (start+tokens x kvHeads*headDim), row p holding position p (the new tokens' rows
/// already written); out is (tokens x heads*headDim). Query head h uses KV head h / (heads/kvHeads).
/// The query at position p attends to keys max(0, p - window + 1)...p with scores (q.k) * scale
/// and an exact softmax: the same mask, scale and convention as `causalAttention`, whose window
/// over the whole sequence it reproduces row for row (to rounding: the sums run in another order).
///
/// Work is split over (query, head); each task reads its keys once, so the cost is that of
/// streaming the cache, which is what a decoding step is bound by. Results do not depend on the
/// thread count.
public func cachedAttention(q: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                            start: Int, tokens: Int, heads: Int, kvHeads: Int, headDim: Int,
                            scale: Float? = nil, window: Int? = nil,
                            into out: UnsafeMutablePointer<Float>, pool: ThreadPool) {
    precondition(heads > 0 && kvHeads > 0 && heads % kvHeads == 0 && headDim > 0 && start >= 0,
                 "cachedAttention: need heads (\(heads)) a positive multiple of kvHeads (\(kvHeads)), headDim (\(headDim)) > 0 and start (\(start)) >= 0")
    precondition(window.map { $0 >= 1 } ?? true, "cachedAttention: the sliding window must be >= 1, got \(window ?? 0)")
    if tokens <= 0 { return }
    let scale = scale ?? Float(1 / Double(headDim).squareRoot())
    let queryStride = heads * headDim, kvStride = kvHeads * headDim
    let group = heads / kvHeads
    pool.parallelFor(tokens * heads) { index in
        let row = index / heads, head = index % heads
        let position = start + row
        let first = window.map { max(0, position - $0 + 1) } ?? 0
        let count = position + 1 - first
        let query = q + row * queryStride + head * headDim
        let kvOffset = (head / group) * headDim
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let scaled = UnsafeMutablePointer<Float>.allocate(capacity: headDim)
        defer {
            scores.deallocate()
            scaled.deallocate()
        }
        for d in 0..<headDim { scaled[d] = query[d] * scale }
        var maximum = -Float.infinity
        for j in 0..<count {
            let s = cachedDot(scaled, keys + (first + j) * kvStride + kvOffset, count: headDim)
            scores[j] = s
            if s > maximum { maximum = s }
        }
        var sum: Float = 0
        for j in 0..<count {
            let e = expf(scores[j] - maximum)
            scores[j] = e
            sum += e
        }
        let target = out + row * queryStride + head * headDim
        target.update(repeating: 0, count: headDim)
        for j in 0..<count {
            cachedAddScaled(values + (first + j) * kvStride + kvOffset, scores[j], into: target, count: headDim)
        }
        let inverse = 1 / sum
        for d in 0..<headDim { target[d] *= inverse }
    }
}

/// a . b over `count` floats, 16 lanes at a time.
@inline(__always)
private func cachedDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    var acc = SIMD16<Float>()
    var i = 0
    while i + 16 <= count {
        acc += OpsSIMD.load(a + i) * OpsSIMD.load(b + i)
        i += 16
    }
    var sum = OpsSIMD.sum(acc)
    while i < count {
        sum += a[i] * b[i]
        i += 1
    }
    return sum
}

/// y += w x over `count` floats.
@inline(__always)
private func cachedAddScaled(_ x: UnsafePointer<Float>, _ w: Float, into y: UnsafeMutablePointer<Float>, count: Int) {
    let wv = SIMD16<Float>(repeating: w)
    var i = 0
    while i + 16 <= count {
        OpsSIMD.store(OpsSIMD.load(y + i) + wv * OpsSIMD.load(x + i), y + i)
        i += 16
    }
    while i < count {
        y[i] += w * x[i]
        i += 1
    }
}
