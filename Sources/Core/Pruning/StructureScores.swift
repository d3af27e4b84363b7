/// The importance scores of removable structures (protocol.md, "Structures and one parameter budget"), all from the one
/// calibration pass of the dense model.
///
/// A unit's score is its block sublayer's coarse importance (the angular distance per token
/// across that residual step) times the unit's share of the sublayer's output energy, so that
/// the units of a sublayer sum to the sublayer's own score:
///
///     FFN neuron j:  e_j = E_j ||Wd[:, j]||^2            (E_j = sum_t z_tj^2)
///     KV group g:    e_g = sum over its channels c of S_c ||Wo[:, c]||^2   (S_c = sum_t a_tc^2)
///     score = alpha_sublayer * e / sum(e over the sublayer)
///
/// e is the expected squared contribution of the unit to the residual if its inputs were
/// uncorrelated (the diagonal of the exact output energy tr(W G W^T)): the activation energy of
/// the FFN's fine score, weighed by the weights the unit writes with.
enum StructureScores {
    /// alpha of every block's attention sublayer (0 where it has none).
    static func attentionImportance(_ statistics: CalibrationStatistics) -> [Double] {
        let t = Double(max(statistics.tokens, 1))
        return statistics.blocks.map { ($0.attentionAngularSum ?? 0) / t }
    }

    /// alpha of every block's FFN sublayer (0 where it has none).
    static func ffnImportance(_ statistics: CalibrationStatistics) -> [Double] {
        let t = Double(max(statistics.tokens, 1))
        return statistics.blocks.map { ($0.ffnAngularSum ?? 0) / t }
    }

    /// e_j of block `block`'s FFN neurons.
    static func neuronEnergies(model: LlamaModel, statistics: CalibrationStatistics, block l: Int) -> [Double] {
        let columns = FFNWeights(model.blocks[l]).downColumnSquares()
        return zip(statistics.blocks[l].activationSquareSum, columns).map { $0 * $1 }
    }

    /// e_g of block `block`'s KV groups (the block's current groups; empty without attention).
    static func groupEnergies(model: LlamaModel, statistics: CalibrationStatistics, block l: Int) -> [Double] {
        let c = model.config
        let channels = c.heads(layer: l) * c.headDim
        let perGroup = c.headsPerKVHead * c.headDim
        guard channels > 0, let squares = statistics.blocks[l].attentionSquareSum, squares.count == channels else {
            return []
        }
        let o = model.blocks[l].attentionOutput
        let values = o.unpacked()
        var columns = [Double](repeating: 0, count: channels)
        for i in 0..<o.rows {
            for j in 0..<channels { let w = Double(values[i * channels + j]); columns[j] += w * w }
        }
        return (0..<(channels / perGroup)).map { g in
            (g * perGroup..<((g + 1) * perGroup)).reduce(0.0) { $0 + squares[$1] * columns[$1] }
        }
    }

    /// alpha x e / sum(e), each unit's share of its sublayer's importance (uniform shares when
    /// the sublayer's energies are all zero).
    static func shares(_ energies: [Double], importance alpha: Double) -> [Double] {
        let total = energies.reduce(0, +)
        guard total > 0 else { return energies.map { _ in alpha / Double(max(energies.count, 1)) } }
        return energies.map { alpha * $0 / total }
    }
}
