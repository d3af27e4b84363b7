import Kernels

extension GatedActivation {
    /// The name config.json gives this activation (`hidden_act`, Gemma's `hidden_activation`):
    /// the one table the reader and the writer share, so an exported model keeps its activation.
    var huggingFaceName: String {
        switch self {
        case .silu: "silu"
        case .geluTanh: "gelu_pytorch_tanh"
        }
    }

    /// The activation config.json calls `name`, or nil if cfsp does not implement it.
    init?(huggingFaceName name: String) {
        guard let found = Self.allCases.first(where: { $0.huggingFaceName == name }) else { return nil }
        self = found
    }
}
