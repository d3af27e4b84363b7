/// The tensor type of each matrix in a quantized GGUF export, chosen as llama.cpp's
/// `llama-quantize` chooses it for the same file type without an importance matrix
/// (`llama_tensor_get_type`), for the dense architectures cfsp exports:
///
/// - The output head, or the token embedding when the head is tied to it (no
///   `output.weight`), is Q6_K (Q8_0 stays Q8_0); Q8_0 when its rows are not whole blocks of
///   the file type's own block type.
/// - `q4_k_m`/`q5_k_m`: `attn_v` and `ffn_down` are Q6_K in the layers `usesMoreBits` picks.
///   `q4_k_s`: the first four `attn_v` and the first eighth of `ffn_down` are Q5_K.
/// - Everything else gets the file type's own type.
/// - A tensor whose rows (GGUF's innermost dimension) are not a whole number of the chosen
///   type's blocks falls back: Q4_K to Q5_0, Q5_K to Q5_1, Q6_K to Q8_0 (32-value blocks),
///   and to F16 when rows are not a multiple of 32 either. (llama.cpp refuses a file type
///   whose own 32-value blocks do not fit; cfsp stores such a tensor as F16 instead.)
///
/// Pruned models make `ffn_down` rows as long as the block's FFN width, so widths pruned to a
/// multiple of `ExportPrecision.widthAlignment` keep it in the file type's own blocks.
struct GGUFQuantizationMix {
    /// The file type.
    var precision: ExportPrecision
    /// Transformer blocks in the model (llama.cpp's `n_layer`).
    var layers: Int
    /// Whether the file has no `output.weight`, so the token embedding doubles as the head.
    var tiedOutput: Bool

    /// llama.cpp's `use_more_bits`: the first and last eighth of the layers, and every third
    /// one between (`(i - n/8) % 3 == 2`), about half of them in all.
    static func usesMoreBits(layer i: Int, of n: Int) -> Bool {
        i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2
    }

    /// The layer of a `blk.N.` tensor name.
    private static func layer(of name: String) -> Int? {
        guard name.hasPrefix("blk.") else { return nil }
        return Int(name.dropFirst(4).prefix { $0.isNumber })
    }

    /// The type the mix wants for a matrix before any fallback for its row length.
    private func preferredType(name: String, rowLength: Int) -> TensorType {
        let base = precision.tensorType
        let isHead = name == "output.weight" || (tiedOutput && name == "token_embd.weight")
        if isHead {
            if rowLength % base.blockSize != 0 { return .q8_0 }
            return base == .q8_0 ? .q8_0 : .q6_K
        }
        guard let layer = Self.layer(of: name) else { return base }
        let moreBits = Self.usesMoreBits(layer: layer, of: layers)
        if name.contains("attn_v.weight") {
            switch precision {
            case .q4_k_m, .q5_k_m: return moreBits ? .q6_K : base
            case .q4_k_s: return layer < 4 ? .q5_K : base
            default: return base
            }
        }
        if name.contains("ffn_down") {
            switch precision {
            case .q4_k_m, .q5_k_m: return moreBits ? .q6_K : base
            case .q4_k_s: return layer < layers / 8 ? .q5_K : base
            default: return base
            }
        }
        return base
    }

    /// What the mix wanted for a matrix and what its rows allow.
    struct Choice: Equatable {
        var preferred: TensorType
        var stored: TensorType
    }

    /// The choice for the matrix `name` whose rows hold `rowLength` values; dense precisions
    /// store every matrix in their own type.
    func choice(name: String, rowLength: Int) -> Choice {
        guard precision.isQuantized else { return Choice(preferred: precision.tensorType, stored: precision.tensorType) }
        let preferred = preferredType(name: name, rowLength: rowLength)
        if rowLength % preferred.blockSize == 0 { return Choice(preferred: preferred, stored: preferred) }
        let fallback: TensorType = switch preferred {
        case .q4_K: .q5_0
        case .q5_K: .q5_1
        case .q6_K: .q8_0
        default: .f16
        }
        return Choice(preferred: preferred, stored: rowLength % fallback.blockSize == 0 ? fallback : .f16)
    }
}
