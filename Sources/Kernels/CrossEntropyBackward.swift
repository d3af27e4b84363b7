#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Softmax cross-entropy over rows of logits, forward and backward in one pass, for training.
///
/// For each row r with target t_r: loss_r = logsumexp(logits_r) - logits_r[t_r], and the row is
/// overwritten with its gradient scaled by `scale`: scale * (softmax(logits_r) - onehot(t_r)).
/// Per-row losses go to `rowLosses` (Double, so a caller can sum them in a fixed order). Rows run
/// in parallel, each owned by one task, so the result does not depend on the thread count.
/// Targets must lie in 0..<cols (the caller validates token ids).
public func crossEntropyBackward(_ logits: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                                 targets: UnsafePointer<Int32>, scale: Float,
                                 rowLosses: UnsafeMutablePointer<Double>, pool: ThreadPool) {
    if rows <= 0 || cols <= 0 { return }
    pool.parallelFor(rows) { r in
        let row = logits + r * cols
        var maximum = -Float.infinity
        for i in 0..<cols where row[i] > maximum { maximum = row[i] }
        let target = Int(targets[r])
        let targetLogit = Double(row[target] - maximum)
        var total = 0.0
        for i in 0..<cols {
            let e = expf(row[i] - maximum)
            row[i] = e
            total += Double(e)
        }
        rowLosses[r] = log(total) - targetLogit
        let factor = Float(1 / total) * scale
        for i in 0..<cols { row[i] *= factor }
        row[target] -= scale
    }
}

/// Backward pass of an embedding lookup (hidden[t] = table[tokens[t]]): adds every gradient row
/// `gradOut[t]` (width `cols`) into `gradTable[tokens[t]]`, tokens in order so repeated ids sum
/// deterministically. Ids must lie inside the table (the caller validates them).
public func embeddingBackward(gradOut: UnsafePointer<Float>, tokens: UnsafePointer<Int32>, count: Int,
                              cols: Int, gradTable: UnsafeMutablePointer<Float>) {
    for t in 0..<Swift.max(0, count) {
        let source = gradOut + t * cols
        let target = gradTable + Int(tokens[t]) * cols
        for c in 0..<cols { target[c] += source[c] }
    }
}
