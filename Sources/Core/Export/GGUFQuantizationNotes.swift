/// The export notes that say which matrices a quantized mix could not store in the type it
/// wanted, and what would keep them there.
enum GGUFQuantizationNotes {
    /// One matrix stored in a fallback type.
    struct Fallback {
        var name: String
        var rowLength: Int
        var choice: GGUFQuantizationMix.Choice
    }

    /// One note per (wanted, stored, row length), then one on pruned `ffn_down` widths if any
    /// of those fell back, since only they can be fixed by pruning with another `align`.
    static func describe(_ fallbacks: [Fallback], precision: ExportPrecision) -> [String] {
        struct Group: Hashable {
            var preferred: TensorType
            var stored: TensorType
            var rowLength: Int
        }
        var counts: [Group: Int] = [:]
        var order: [Group] = []
        for fallback in fallbacks {
            let group = Group(preferred: fallback.choice.preferred, stored: fallback.choice.stored, rowLength: fallback.rowLength)
            if counts[group] == nil { order.append(group) }
            counts[group, default: 0] += 1
        }
        var notes = order.map { group in
            let count = counts[group] ?? 0
            return "\(precision.rawValue): \(count) \(count == 1 ? "matrix" : "matrices") with rows of \(group.rowLength) values stored as \(group.stored.rawValue.uppercased()) instead of \(group.preferred.rawValue), whose rows must be whole \(group.preferred.blockSize)-value blocks (llama-quantize falls back the same way)"
        }
        let downs = fallbacks.filter { $0.name.contains("ffn_down") }
        if !downs.isEmpty {
            let widths = Set(downs.map(\.rowLength)).sorted().map(String.init).joined(separator: ", ")
            notes.append("\(downs.count) ffn_down \(downs.count == 1 ? "matrix" : "matrices") fell back because FFN widths \(widths) are not multiples of \(precision.widthAlignment): prune with align \(precision.widthAlignment) to keep \(precision.rawValue)'s own blocks there")
        }
        return notes
    }
}
