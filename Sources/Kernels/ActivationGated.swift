/// The gate activation of a gated FFN, out = act(gate) * up: SiLU (SwiGLU: LLaMA, Mistral,
/// Qwen, SmolLM) or tanh-approximated GELU (GeGLU: Gemma). Model code stores the family's kind
/// once and calls `gatedActivation` / `gatedActivationBackward`, instead of switching at every
/// call site.
public enum GatedActivation: String, Sendable, CaseIterable, Codable {
    /// silu(g) = g sigmoid(g): `siluGate`.
    case silu
    /// PyTorch's gelu(g, approximate="tanh"): `geluTanhGate`.
    case geluTanh
}

/// out[i] = act(gate[i]) * up[i] for the given activation; exactly `siluGate` or
/// `geluTanhGate`, with the same aliasing rules (`out` may alias `gate` or `up`).
public func gatedActivation(_ kind: GatedActivation, gate: UnsafePointer<Float>, up: UnsafePointer<Float>,
                            count: Int, into out: UnsafeMutablePointer<Float>) {
    switch kind {
    case .silu: siluGate(gate: gate, up: up, count: count, into: out)
    case .geluTanh: geluTanhGate(gate: gate, up: up, count: count, into: out)
    }
}

/// Backward pass of `gatedActivation`: exactly `siluGateBackward` or `geluTanhGateBackward`
/// (the gradients may alias `gradOut`, not each other nor the inputs).
public func gatedActivationBackward(_ kind: GatedActivation, gate: UnsafePointer<Float>,
                                    up: UnsafePointer<Float>, gradOut: UnsafePointer<Float>, count: Int,
                                    gradGate: UnsafeMutablePointer<Float>,
                                    gradUp: UnsafeMutablePointer<Float>) {
    switch kind {
    case .silu:
        siluGateBackward(gate: gate, up: up, gradOut: gradOut, count: count, gradGate: gradGate, gradUp: gradUp)
    case .geluTanh:
        geluTanhGateBackward(gate: gate, up: up, gradOut: gradOut, count: count, gradGate: gradGate, gradUp: gradUp)
    }
}
