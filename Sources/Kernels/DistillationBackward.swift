#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Knowledge-distillation loss over rows of logits, forward and backward in one pass, for
/// recovery training: the student (`logits`) learns the teacher's (`teacher`) whole next-token
/// distribution instead of the one observed token.
///
/// For row r, with p_t = softmax(teacher_r / T), p_s = softmax(logits_r / T), p = softmax(logits_r)
/// and w = `lmWeight`:
///
///     loss_r = (1 - w) T² KL(p_t || p_s) + w (logsumexp(logits_r) - logits_r[t_r])
///
/// and `logits` is overwritten with `scale` x d loss_r / d logits_r
/// = `scale` x ((1 - w) T (p_s - p_t) + w (p - onehot(t_r))). The T² keeps the gradient's size
/// independent of the temperature (Hinton et al. 2015); at T = 1, w = 0 the loss is the KL itself.
/// Identical rows give exactly zero loss and gradient. `teacher` is scratch (overwritten).
/// Per-row losses go to `rowLosses` in Double; rows run in parallel, each owned by one task, so
/// the result does not depend on the thread count. Targets must lie in 0..<cols (read only
/// when w > 0), T must be positive and w in 0...1 (the caller validates them).
public func distillationBackward(
    _ logits: UnsafeMutablePointer<Float>, teacher: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
    targets: UnsafePointer<Int32>, temperature: Float, lmWeight: Float, scale: Float,
    rowLosses: UnsafeMutablePointer<Double>, pool: ThreadPool
) {
    if rows <= 0 || cols <= 0 { return }
    let inverseT = 1 / temperature
    let w = lmWeight
    // The plain softmax p differs from p_s only when T != 1.
    let separateSoftmax = w > 0 && temperature != 1
    pool.parallelFor(rows) { r in
        let s = logits + r * cols, q = teacher + r * cols
        var maxS = -Float.infinity, maxQ = -Float.infinity
        for i in 0..<cols {
            if s[i] > maxS { maxS = s[i] }
            if q[i] > maxQ { maxQ = q[i] }
        }
        // Pass 1: the partition sums and sum_i e^{dq_i/T} (dq_i - ds_i), keeping e^{dq_i/T} in `q`.
        var zS = 0.0, zQ = 0.0, cross = 0.0, zPlain = 0.0
        for i in 0..<cols {
            let ds = s[i] - maxS, dq = q[i] - maxQ
            let eS = expf(ds * inverseT), eQ = expf(dq * inverseT)
            zS += Double(eS)
            zQ += Double(eQ)
            cross += Double(eQ) * Double(dq - ds)
            if separateSoftmax { zPlain += Double(expf(ds)) }
            q[i] = eQ
        }
        if !separateSoftmax { zPlain = zS }
        // KL = sum_i p_t,i (log p_t,i - log p_s,i) = cross / (Z_q T) - log Z_q + log Z_s.
        let kl = cross / (zQ * Double(temperature)) - log(zQ) + log(zS)
        let t2 = Double(temperature) * Double(temperature)
        var loss = Double(1 - w) * t2 * kl
        let target = w > 0 ? Int(targets[r]) : 0
        if w > 0 { loss += Double(w) * (log(zPlain) - Double(s[target] - maxS)) }
        rowLosses[r] = loss
        // Pass 2: the gradient, in place.
        let kd = scale * (1 - w) * temperature
        let lm = scale * w
        let invZS = Float(1 / zS), invZQ = Float(1 / zQ), invZPlain = Float(1 / zPlain)
        for i in 0..<cols {
            let ds = s[i] - maxS
            let pS = expf(ds * inverseT) * invZS
            var g = kd * (pS - q[i] * invZQ)
            if w > 0 { g += lm * (separateSoftmax ? expf(ds) * invZPlain : pS) }
            s[i] = g
        }
        if w > 0 { s[target] -= lm }
    }
}
